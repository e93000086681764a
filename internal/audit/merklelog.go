package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// The Merkle log is derived data: every leaf is a journal record body,
// leaf i is record i, and the journal (fsynced before any record is
// acknowledged) is what makes records durable. The log writer lays the
// leaves out as c2sp.org/tlog-tiles — the layout tessera's POSIX driver
// writes and its client and fsck read — under <dir>/log: hash tiles,
// entry bundles and a checkpoint signed with the trail's key.
//
// It writes each file once, when its tile fills, and makes everything a
// checkpoint covers durable just before signing that checkpoint: the
// files written since the last one are fsynced together, then the
// directories, then the checkpoint is replaced atomically. A crash
// between checkpoints leaves tiles above the checkpoint's size that the
// next Open rewrites from the journal. (tessera's POSIX driver instead
// fsyncs each file and its directory as it goes, which cost ~20 µs of CPU
// per record here: more than the rest of the trail together.)
const (
	archiveInterval = time.Minute
	// logQueue is how many written batches may wait for the log writer;
	// beyond that the writer drops them and reads them back from the
	// journal when it catches up.
	logQueue = 1024
)

// leafBatch is a written journal batch handed to the log writer: the
// records' leaf hashes (which the journal writer computed for its chain)
// and bodies in entry-bundle form (2-byte big-endian length, body).
type leafBatch struct {
	first   uint64
	hashes  [][32]byte
	entries []byte
}

type logWriter struct {
	t        *Trail
	log      *slog.Logger
	dir      string
	vkey     string
	signer   note.Signer
	interval time.Duration

	in       chan *leafBatch
	free     chan *leafBatch
	stopping chan struct{}
	done     chan struct{}

	// The log: size leaves integrated; published of them covered by the
	// checkpoint on disk.
	size      uint64
	published uint64
	signed    bool // a checkpoint exists (published is its size)
	tree      *treeBuilder
	rows      [][][32]byte // per tile level, the hashes of the right-edge (partial) tile
	bundle    []byte       // the right-edge entry bundle
	tileBuf   []byte
	hasher    *leafHasher
	cur       *cursor
	broken    error // a write failed: in-memory state is discarded and reloaded from disk

	madeDirs map[string]bool     // directories known to exist
	syncDirs map[string]bool     // directories with new entries since the last checkpoint
	unsynced []*os.File          // files written since the last checkpoint
	partials map[string]struct{} // .p directories of tiles not yet full
	obsolete []string            // .p directories of tiles that filled: removed once a checkpoint covers the full tile

	lastArchive     time.Time
	archivedSize    uint64
	archiveFailures int
}

// openLogWriter loads the Merkle log in t.dir/log and starts integrating
// the journal's records from where it ends; journalNext is the number of
// records in the journal. It returns the number of leaves the log held.
func openLogWriter(t *Trail, journalNext uint64) (*logWriter, uint64, error) {
	w := &logWriter{
		t: t, log: t.log, dir: filepath.Join(t.dir, logDir), vkey: t.vkey, signer: t.signer,
		interval: t.opts.CheckpointInterval,
		in:       make(chan *leafBatch, logQueue),
		free:     make(chan *leafBatch, 16),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		hasher:   newLeafHasher(),
		cur:      &cursor{dir: t.jdir},
	}
	if err := os.MkdirAll(w.dir, 0o700); err != nil {
		return nil, 0, unavailable(err)
	}
	if err := w.load(); err != nil {
		return nil, 0, err
	}
	if w.size > journalNext {
		return nil, 0, fmt.Errorf("audit: the Merkle log holds %d records but the journal only %d: "+
			"the journal lost records it had acknowledged; run 'dbward audit verify'", w.size, journalNext)
	}
	w.lastArchive = time.Now()
	if !w.signed {
		// A new log starts with a checkpoint of the empty tree, so that
		// readers never see tiles without one.
		if err := w.publish(); err != nil {
			return nil, 0, unavailable(fmt.Errorf("starting the Merkle log: %w", err))
		}
	}
	var err error
	if w.archivedSize, err = repairArchive(t.dir, t.vkey); err != nil {
		w.log.Warn("audit: reading the checkpoint archive", "err", err)
	}
	go w.run()
	return w, w.size, nil
}

// load sets the in-memory state to what the checkpoint on disk covers: the
// right-edge tiles and bundle, and the compact range, which must hash to
// the checkpoint's root.
func (w *logWriter) load() error {
	w.closeUnsynced()
	w.size, w.published, w.signed = 0, 0, false
	w.tree = newTreeBuilder()
	w.tree.onNode = w.node
	w.rows = w.rows[:0]
	w.bundle = w.bundle[:0]
	w.madeDirs, w.syncDirs, w.partials = map[string]bool{}, map[string]bool{}, map[string]struct{}{}
	w.obsolete = w.obsolete[:0]
	w.cur.reset()
	raw, err := os.ReadFile(filepath.Join(w.dir, layout.CheckpointPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return unavailable(fmt.Errorf("reading the Merkle log's checkpoint: %w", err))
	}
	cp, err := openCheckpoint(raw, w.vkey)
	if err != nil {
		return fmt.Errorf("audit: the Merkle log's checkpoint does not verify (%v); run 'dbward audit verify'", err)
	}
	ctx := context.Background()
	fetch := client.FileFetcher{Root: w.dir}
	size := cp.Size
	for level := uint64(0); size>>(8*level) > 0; level++ {
		n := size >> (8 * level)
		width := n % layout.TileWidth
		row := make([][32]byte, width, layout.TileWidth)
		if width > 0 {
			tile, err := fetch.ReadTile(ctx, level, n/layout.TileWidth, uint8(width))
			if err != nil || uint64(len(tile)) < width*32 {
				return fmt.Errorf("audit: the Merkle log's tile %d/%d at its checkpoint (size %d) is missing or short: %v; run 'dbward audit verify'",
					level, n/layout.TileWidth, size, err)
			}
			for i := range row {
				copy(row[i][:], tile[i*32:])
			}
		}
		w.rows = append(w.rows, row)
	}
	if width := size % layout.EntryBundleWidth; width > 0 {
		b, err := fetch.ReadEntryBundle(ctx, size/layout.EntryBundleWidth, uint8(width))
		if err != nil {
			return fmt.Errorf("audit: the Merkle log's last entry bundle is missing: %v; run 'dbward audit verify'", err)
		}
		i := uint64(0)
		err = parseBundle(b, func(e []byte) error {
			if i < width {
				if w.hasher.sum(e) != w.rows[0][i] {
					return fmt.Errorf("entry %d does not match its hash tile", size-width+i)
				}
				w.bundle = appendEntry(w.bundle, e)
			}
			i++
			return nil
		})
		if err == nil && i < width {
			err = fmt.Errorf("%d entries where %d belong", i, width)
		}
		if err != nil {
			return fmt.Errorf("audit: the Merkle log's last entry bundle: %v; run 'dbward audit verify'", err)
		}
	}
	// The compact range: one perfect subtree per bit of size, the largest
	// (leftmost) first; those of levels 8L..8L+7 are made of the partial
	// tile of level L.
	for level := len(w.rows) - 1; level >= 0; level-- {
		row := w.rows[level]
		for bit := 7; bit >= 0; bit-- {
			if n := 1 << bit; len(row)&n != 0 {
				start := len(row) &^ (2*n - 1)
				w.tree.stack = append(w.tree.stack, w.tree.subtree(row[start:start+n]))
			}
		}
	}
	w.tree.size = size
	if r := w.tree.root(); string(r[:]) != string(cp.Root) {
		return fmt.Errorf("audit: the Merkle log's edge tiles do not hash to the root its checkpoint signed (size %d); run 'dbward audit verify'", size)
	}
	w.size, w.published, w.signed = size, size, true
	// Partial tiles at the edge go when their tile fills.
	for level, row := range w.rows {
		if len(row) > 0 {
			w.partials[filepath.Join(w.dir, layout.TilePath(uint64(level), (size>>(8*level))/layout.TileWidth, 0))+".p"] = struct{}{}
		}
	}
	if size%layout.EntryBundleWidth > 0 {
		w.partials[filepath.Join(w.dir, layout.EntriesPath(size/layout.EntryBundleWidth, 0))+".p"] = struct{}{}
	}
	return nil
}

// node receives the tree nodes that tiles above level 0 store.
func (w *logWriter) node(level uint, _ uint64, h [32]byte) {
	l := int(level / 8)
	for len(w.rows) <= l {
		w.rows = append(w.rows, make([][32]byte, 0, layout.TileWidth))
	}
	w.rows[l] = append(w.rows[l], h)
}

func appendEntry(b, e []byte) []byte {
	b = append(b, byte(len(e)>>8), byte(len(e)))
	return append(b, e...)
}

// add integrates the next leaf, writing the tiles and bundle it fills.
func (w *logWriter) add(h [32]byte, entry []byte) error {
	if len(w.rows) == 0 {
		w.rows = append(w.rows, make([][32]byte, 0, layout.TileWidth))
	}
	w.bundle = appendEntry(w.bundle, entry)
	w.rows[0] = append(w.rows[0], h)
	w.tree.append(h)
	w.size++
	if w.size%layout.EntryBundleWidth == 0 {
		if err := w.writeFile(layout.EntriesPath(w.size/layout.EntryBundleWidth-1, 0), w.bundle); err != nil {
			return err
		}
		w.bundle = w.bundle[:0]
	}
	for level := range w.rows {
		if len(w.rows[level]) < layout.TileWidth {
			break // a row fills only when the one below it just did
		}
		index := (w.size>>(8*level))/layout.TileWidth - 1
		if err := w.writeFile(layout.TilePath(uint64(level), index, 0), w.tileBytes(w.rows[level])); err != nil {
			return err
		}
		w.rows[level] = w.rows[level][:0]
	}
	return nil
}

// tileBytes returns a tile's contents in w's reused buffer.
func (w *logWriter) tileBytes(row [][32]byte) []byte {
	b := w.tileBuf[:0]
	for i := range row {
		b = append(b, row[i][:]...)
	}
	w.tileBuf = b
	return b
}

// writeFile writes a tile or bundle in full, leaving it to be fsynced
// before the next checkpoint. A full tile replaces the partial ones
// written for it once a checkpoint covers it: until then, after a power
// cut, the partial may be all that holds the edge of the last checkpoint.
func (w *logWriter) writeFile(rel string, data []byte) error {
	path := filepath.Join(w.dir, rel)
	dir := filepath.Dir(path)
	if !w.madeDirs[dir] {
		if err := w.mkdirs(dir); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	w.unsynced = append(w.unsynced, f)
	w.syncDirs[dir] = true
	if p := path + ".p"; !isPartial(rel) {
		if _, ok := w.partials[p]; ok {
			delete(w.partials, p)
			w.obsolete = append(w.obsolete, p)
		}
	} else {
		w.partials[dir] = struct{}{}
	}
	return nil
}

func isPartial(rel string) bool { return filepath.Ext(filepath.Dir(rel)) == ".p" }

// mkdirs makes dir and its missing parents, noting each parent whose
// entries changed for the next checkpoint's directory syncs.
func (w *logWriter) mkdirs(dir string) error {
	if w.madeDirs[dir] || dir == w.dir {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		w.madeDirs[dir] = true
		return nil
	}
	parent := filepath.Dir(dir)
	if err := w.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	w.madeDirs[dir] = true
	w.syncDirs[parent] = true
	return nil
}

// publish makes the log durable up to its size and signs a checkpoint for
// it: the partial tiles and bundle at the edge are written, every file and
// directory written since the last checkpoint is fsynced, and the
// checkpoint file is replaced atomically.
func (w *logWriter) publish() error {
	size := w.size
	for level, row := range w.rows {
		if len(row) > 0 {
			index := (size >> (8 * level)) / layout.TileWidth
			if err := w.writeFile(layout.TilePath(uint64(level), index, uint8(len(row))), w.tileBytes(row)); err != nil {
				return err
			}
		}
	}
	if width := size % layout.EntryBundleWidth; width > 0 {
		if err := w.writeFile(layout.EntriesPath(size/layout.EntryBundleWidth, uint8(width)), w.bundle); err != nil {
			return err
		}
	}
	for len(w.unsynced) > 0 {
		f := w.unsynced[0]
		err := fdatasync(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		w.unsynced = w.unsynced[1:]
		if err != nil {
			return err
		}
	}
	w.unsynced = w.unsynced[:0]
	for dir := range w.syncDirs {
		if err := syncDir(dir); err != nil {
			return err
		}
		delete(w.syncDirs, dir)
	}
	root := w.tree.root()
	text := f_log.Checkpoint{Origin: w.signer.Name(), Size: size, Hash: root[:]}.Marshal()
	raw, err := note.Sign(&note.Note{Text: string(text)}, w.signer)
	if err != nil {
		return fmt.Errorf("signing the checkpoint: %w", err)
	}
	if err := writeFileSync(filepath.Join(w.dir, layout.CheckpointPath), raw, 0o600, false); err != nil {
		return err
	}
	w.published, w.signed = size, true
	for _, p := range w.obsolete {
		delete(w.madeDirs, p)
		if err := os.RemoveAll(p); err != nil {
			w.log.Warn("audit: removing partial tiles", "dir", p, "err", err)
		}
	}
	w.obsolete = w.obsolete[:0]
	w.archive(raw, false)
	return nil
}

func (w *logWriter) closeUnsynced() {
	for _, f := range w.unsynced {
		f.Close()
	}
	w.unsynced = w.unsynced[:0]
}

// take integrates a written batch, first reading from the journal any
// records that came before it and were dropped on the way.
func (w *logWriter) take(lb *leafBatch) {
	defer w.recycle(lb)
	if w.broken != nil {
		return
	}
	if lb.first > w.size {
		if err := w.catchUp(lb.first); err != nil {
			w.fail(err)
			return
		}
	}
	i, e := lb.first, lb.entries
	for k := range lb.hashes {
		n := int(e[0])<<8 | int(e[1])
		if i == w.size {
			if err := w.add(lb.hashes[k], e[2:2+n]); err != nil {
				w.fail(err)
				return
			}
		}
		e = e[2+n:]
		i++
	}
}

// catchUp integrates the durable journal records below to.
func (w *logWriter) catchUp(to uint64) error {
	if w.size >= to {
		return nil
	}
	return w.cur.each(&w.t.pos, w.size, to, func(_ uint64, body []byte) error {
		return w.add(w.hasher.sum(body), body)
	})
}

// fail discards the in-memory state after a failed write; the next tick
// reloads it from the last checkpoint and catches up from the journal.
func (w *logWriter) fail(err error) {
	if w.broken == nil {
		w.log.Warn("audit: writing the Merkle log failed; will rebuild it from the journal", "err", err)
	}
	w.broken = err
	w.closeUnsynced()
}

// tick publishes a checkpoint when the log grew, first repairing the
// state after a failure.
func (w *logWriter) tick() {
	if w.broken != nil {
		if err := w.load(); err != nil {
			w.log.Warn("audit: reloading the Merkle log", "err", err)
			return
		}
		w.broken = nil
		w.log.Info("audit: Merkle log reloaded; catching up from the journal", "leaves", w.size)
	}
	for drained := false; !drained; {
		select {
		case lb := <-w.in:
			w.take(lb)
		default:
			drained = true
		}
	}
	if w.broken != nil {
		return
	}
	durable, _, _, _ := w.t.pos.get()
	if err := w.catchUp(durable); err != nil {
		w.fail(err)
		return
	}
	if w.signed && w.size == w.published {
		return
	}
	if err := w.publish(); err != nil {
		w.fail(err)
	}
}

func (w *logWriter) run() {
	defer close(w.done)
	w.tick() // at once: a log that was behind the journal catches up
	timer := time.NewTicker(w.interval)
	defer timer.Stop()
	for {
		select {
		case lb := <-w.in:
			w.take(lb)
		case <-timer.C:
			w.tick()
		case <-w.stopping:
			return
		}
	}
}

// offer hands a written batch to the log writer without ever waiting; a
// batch that does not fit is read back from the journal later.
func (w *logWriter) offer(lb *leafBatch) {
	if w == nil { // a journal written without a log (tests)
		return
	}
	select {
	case w.in <- lb:
	default:
		w.recycle(lb)
	}
}

func (w *logWriter) batch(first uint64) *leafBatch {
	lb := &leafBatch{}
	if w != nil {
		select {
		case lb = <-w.free:
		default:
		}
	}
	lb.first, lb.hashes, lb.entries = first, lb.hashes[:0], lb.entries[:0]
	return lb
}

func (w *logWriter) recycle(lb *leafBatch) {
	if w == nil || cap(lb.entries) > 4*flushBytes {
		return
	}
	select {
	case w.free <- lb:
	default:
	}
}

// stop integrates what is left of the journal, publishes a checkpoint
// that covers it and archives that checkpoint. The journal writer has
// stopped.
func (w *logWriter) stop(ctx context.Context) error {
	close(w.stopping)
	<-w.done
	defer w.cur.reset()
	defer w.closeUnsynced()
	for attempt := 0; ; attempt++ {
		w.tick()
		if w.broken == nil {
			break
		}
		if attempt == 5 || ctx.Err() != nil {
			return fmt.Errorf("audit: closing before the Merkle log caught up (the next Open integrates the rest): %w", w.broken)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if raw, err := os.ReadFile(filepath.Join(w.dir, layout.CheckpointPath)); err == nil {
		w.archive(raw, true)
	}
	return nil
}

// archive appends the checkpoint to the checkpoint archive when the log
// grew and the last archived one is old enough (or force).
func (w *logWriter) archive(raw []byte, force bool) {
	if !force && time.Since(w.lastArchive) < archiveInterval {
		return
	}
	w.lastArchive = time.Now()
	if w.published <= w.archivedSize && w.archivedSize != 0 {
		return
	}
	if err := appendArchive(w.t.dir, raw); err != nil {
		if w.archiveFailures++; w.archiveFailures == 1 {
			w.log.Warn("audit: archiving a checkpoint", "err", err)
		}
		return
	}
	w.archivedSize = w.published
}

// subtree returns the root of the perfect subtree over hs (a power of two
// of them).
func (t *treeBuilder) subtree(hs [][32]byte) [32]byte {
	level := append([][32]byte(nil), hs...)
	for len(level) > 1 {
		for i := 0; i < len(level)/2; i++ {
			level[i] = t.children(&level[2*i], &level[2*i+1])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}
