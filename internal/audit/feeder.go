package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/storage/posix"
)

// The feeder moves durable journal records into the Merkle log, in journal
// order, one round of at most roundSize records at a time, waiting for the
// round to be integrated before the next. Each leaf is a record body, so it
// carries its own journal sequence number.
//
// Invariant between rounds: the log holds exactly the records 0..size-1,
// each once (tessera on POSIX keeps them in order, so leaf i is record i; a
// log that reorders a batch may place a record up to roundSize away). When
// a round fails, the feeder reads what the log took and feeds only the rest,
// so no record is ever fed twice. After a crash in the middle of a round,
// the log of size T holds every record below T-maxDisplacement and, of
// those above it, exactly the ones found in its last 2*maxDisplacement
// leaves: Open reads those, re-feeds the missing ones, and goes on.
const (
	roundSize        = 4096
	maxDisplacement  = 2 * roundSize
	tesseraBatchSize = roundSize
	tesseraBatchAge  = 10 * time.Millisecond
	archiveInterval  = time.Minute
)

type feeder struct {
	feedEvery time.Duration // how long records may gather before a round
	lastFeed  time.Time
	t         *Trail
	log       *slog.Logger
	ctx       context.Context
	cancel    context.CancelFunc
	add       tessera.AddFn
	shutdown  func(context.Context) error
	reader    tessera.LogReader
	logDir    string

	size  uint64   // leaves in the log after the last complete round
	next  uint64   // next journal record to feed
	retry []uint64 // records of a failed or interrupted round still to feed

	cur     *cursor
	avgLeaf int // bytes per leaf in the last round, to size the next one's buffer

	stopping chan struct{}
	done     chan struct{}
	err      error

	lastArchive     time.Time
	archivedSize    uint64
	archiveFailures int
}

// startFeeder opens the Merkle log, works out which journal records it
// already holds and starts feeding the rest. journalNext is the number of
// records in the journal. It returns how many records the log held.
func startFeeder(ctx context.Context, t *Trail, journalNext uint64) (*feeder, uint64, error) {
	logPath := filepath.Join(t.dir, logDir)
	if err := os.MkdirAll(logPath, 0o700); err != nil {
		return nil, 0, unavailable(err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: logPath})
	if err != nil {
		return nil, 0, fmt.Errorf("audit: opening the Merkle log: %w", err)
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(t.signer).
		WithBatching(tesseraBatchSize, tesseraBatchAge).
		WithCheckpointInterval(t.opts.CheckpointInterval).
		WithShutdownTimeout(20 * time.Second)
	app, shutdown, reader, err := tessera.NewAppender(fctx, driver, opts)
	if err != nil {
		cancel()
		return nil, 0, unavailable(fmt.Errorf("opening the Merkle log: %w", err))
	}
	f := &feeder{
		feedEvery: t.opts.CheckpointInterval / 2,
		t:         t, log: t.log, ctx: fctx, cancel: cancel,
		add: app.Add, shutdown: shutdown, reader: reader, logDir: logPath,
		cur:      &cursor{dir: t.jdir},
		avgLeaf:  1024,
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	size, err := reader.IntegratedSize(fctx)
	if err != nil {
		cancel()
		return nil, 0, unavailable(fmt.Errorf("reading the Merkle log size: %w", err))
	}
	if err := f.recover(size, journalNext); err != nil {
		cancel()
		return nil, 0, err
	}
	f.lastArchive = time.Now()
	if f.archivedSize, err = repairArchive(t.dir, t.vkey); err != nil {
		f.log.Warn("audit: reading the checkpoint archive", "err", err)
	}
	go f.run()
	return f, size, nil
}

// recover sets next and retry for a log of the given size (see the
// invariant above).
func (f *feeder) recover(size, journalNext uint64) error {
	f.size, f.next = size, 0
	if size == 0 {
		return nil
	}
	lo := size - min(size, 2*maxDisplacement)
	seen := make(map[uint64]bool, size-lo)
	maxSeq := uint64(0)
	err := readLeaves(f.ctx, f.reader.ReadEntryBundle, lo, size, size, func(i uint64, leaf []byte) error {
		seq, err := parseLeaf(leaf)
		if err != nil {
			return fmt.Errorf("leaf %d: %w", i, err)
		}
		if seen[seq] {
			f.log.Warn("audit: the Merkle log holds a record twice; run dbward audit verify", "record", seq, "leaf", i)
		}
		seen[seq] = true
		maxSeq = max(maxSeq, seq)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: reading the end of the Merkle log: %w", err)
	}
	if maxSeq >= journalNext {
		return fmt.Errorf("audit: the Merkle log holds record %d but the journal ends before it (%d records): "+
			"the journal lost records it had acknowledged; run 'dbward audit verify'", maxSeq, journalNext)
	}
	for s := size - min(size, maxDisplacement); s <= maxSeq; s++ {
		if !seen[s] {
			f.retry = append(f.retry, s)
		}
	}
	f.next = maxSeq + 1
	if len(f.retry) > 0 {
		f.log.Info("audit: re-feeding records an interrupted round left out of the Merkle log", "records", len(f.retry))
	}
	return nil
}

// readLeaves calls fn with each leaf in [from, to) of a log of the given
// size.
func readLeaves(ctx context.Context, read func(context.Context, uint64, uint8) ([]byte, error), from, to, size uint64, fn func(uint64, []byte) error) error {
	if from >= to {
		return nil
	}
	for ri := range layout.Range(from, to-from, size) {
		raw, err := read(ctx, ri.Index, ri.Partial)
		if err != nil {
			return fmt.Errorf("entry bundle %d: %w", ri.Index, err)
		}
		i := ri.Index * layout.EntryBundleWidth
		err = parseBundle(raw, func(leaf []byte) error {
			defer func() { i++ }()
			if i < ri.Index*layout.EntryBundleWidth+uint64(ri.First) || i >= ri.Index*layout.EntryBundleWidth+uint64(ri.First+ri.N) {
				return nil
			}
			return fn(i, leaf)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *feeder) run() {
	defer close(f.done)
	backoff := 100 * time.Millisecond
	for {
		var seqs []uint64
		var leaves [][]byte
		var err error
		retrying := len(f.retry) > 0
		if retrying {
			seqs = f.retry
			leaves, err = f.read(seqs[0], seqs[len(seqs)-1]+1, seqs)
		} else {
			durable, _, _, _ := f.t.pos.get()
			if f.next >= durable {
				select {
				case <-f.t.pos.wake:
					continue
				case <-f.stopping:
					return
				case <-f.ctx.Done():
					return
				}
			}
			// Integrating costs several fsyncs and file renames however few
			// records it takes: gather a round's worth, or what arrives
			// within half a checkpoint interval (the journal, not the log,
			// is what makes records durable).
			if pending := durable - f.next; pending < roundSize && time.Since(f.lastFeed) < f.feedEvery {
				select {
				case <-time.After(f.feedEvery - time.Since(f.lastFeed)):
				case <-f.stopping:
				case <-f.ctx.Done():
					return
				}
				durable, _, _, _ = f.t.pos.get()
			}
			f.lastFeed = time.Now()
			end := min(durable, f.next+roundSize)
			leaves, err = f.read(f.next, end, nil)
			for s := f.next; s < end; s++ {
				seqs = append(seqs, s)
			}
		}
		if err == nil {
			err = f.feed(seqs, leaves)
		}
		if err == nil {
			f.size += uint64(len(seqs))
			if !retrying {
				f.next += uint64(len(seqs))
			}
			f.retry = nil
			backoff = 100 * time.Millisecond
			f.archive(false)
			continue
		}
		if f.ctx.Err() != nil {
			return
		}
		f.log.Warn("audit: feeding the Merkle log failed; will retry", "records", len(seqs), "err", err)
		if rerr := f.resync(seqs); rerr != nil {
			f.log.Warn("audit: reading the Merkle log after a failure", "err", rerr)
			if !retrying {
				// Nothing known: retry the whole round, which resync
				// will sort out next time.
				f.retry = seqs
				f.next += uint64(len(seqs))
			}
		} else if !retrying {
			f.next += uint64(len(seqs))
		}
		select {
		case <-time.After(backoff):
		case <-f.ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// feed adds the leaves and waits until the log has integrated all of them.
func (f *feeder) feed(seqs []uint64, leaves [][]byte) error {
	futures := make([]tessera.IndexFuture, len(leaves))
	for i, l := range leaves {
		futures[i] = f.add(f.ctx, tessera.NewEntry(l))
	}
	var first error
	for i, fut := range futures {
		if _, err := fut(); err != nil && first == nil {
			first = fmt.Errorf("record %d: %w", seqs[i], err)
		}
	}
	return first
}

// resync reads which of the round's records the log took after a failure
// and leaves the others in f.retry.
func (f *feeder) resync(round []uint64) error {
	size, err := f.reader.IntegratedSize(f.ctx)
	if err != nil {
		return err
	}
	took := map[uint64]bool{}
	if err := readLeaves(f.ctx, f.reader.ReadEntryBundle, f.size, size, size, func(_ uint64, leaf []byte) error {
		seq, err := parseLeaf(leaf)
		if err == nil {
			took[seq] = true
		}
		return err
	}); err != nil {
		return err
	}
	f.size = size
	f.retry = slices.DeleteFunc(slices.Clone(round), func(s uint64) bool { return took[s] })
	return nil
}

// read returns copies of the bodies of the durable records in [from, to),
// or only those in want when it is not nil (want is sorted).
func (f *feeder) read(from, to uint64, want []uint64) ([][]byte, error) {
	arena := make([]byte, 0, int(to-from)*f.avgLeaf)
	ends := make([]int, 0, to-from)
	err := f.cur.each(&f.t.pos, from, to, func(seq uint64, body []byte) error {
		if want != nil {
			if _, ok := slices.BinarySearch(want, seq); !ok {
				return nil
			}
		}
		arena = append(arena, body...)
		ends = append(ends, len(arena))
		return nil
	})
	if len(ends) > 0 {
		f.avgLeaf = len(arena)/len(ends) + 64
	}
	out := make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		out[i] = arena[start:end:end]
		start = end
	}
	return out, err
}

// stop feeds what is left (until ctx expires), waits for a checkpoint that
// covers it, archives that checkpoint and stops the log.
func (f *feeder) stop(ctx context.Context) error {
	close(f.stopping)
	select {
	case <-f.done:
	case <-ctx.Done():
		f.log.Warn("audit: closing before the Merkle log caught up; the next Open feeds the rest")
	}
	var err error
	if f.ctx.Err() == nil {
		if err = f.shutdown(ctx); err == nil {
			f.archive(true)
		}
	}
	f.cancel()
	<-f.done
	f.cur.reset()
	return err
}

// cursor reads durable records from the journal in order.
type cursor struct {
	dir  string
	r    *segReader
	seg  uint64 // first seq of the open segment
	next uint64 // seq of the record r returns next
}

// each calls fn with every durable record in [from, to), in order.
func (c *cursor) each(pos *durablePos, from, to uint64, fn func(uint64, []byte) error) error {
	if c.r == nil || c.next != from {
		if err := c.seek(pos, from); err != nil {
			return err
		}
	}
	for c.next < to {
		_, dseg, dend, segs := pos.get()
		if c.seg == dseg {
			c.r.extend(dend)
		} else {
			c.r.extend(-1)
		}
		fr, _, err := c.r.next()
		if err == io.EOF {
			// The end of a finished segment: go on with the next one.
			i, found := slices.BinarySearch(segs, c.seg)
			if !found || i+1 >= len(segs) || segs[i+1] != c.next {
				return fmt.Errorf("journal segment %s ends at record %d, before %d", segName(c.seg), c.next, to)
			}
			if err := c.open(segs[i+1], pos); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			c.reset()
			return fmt.Errorf("journal %s: %w", segName(c.seg), err)
		}
		if fr.kind != frameRecord {
			continue
		}
		if seq := recordSeq(fr.body); seq != c.next {
			c.reset()
			return fmt.Errorf("journal %s: record %d where %d belongs", segName(c.seg), seq, c.next)
		}
		if err := fn(c.next, fr.body); err != nil {
			return err
		}
		c.next++
	}
	return nil
}

func (c *cursor) reset() {
	if c.r != nil {
		c.r.Close()
		c.r = nil
	}
}

// seek positions the cursor at record seq.
func (c *cursor) seek(pos *durablePos, seq uint64) error {
	_, _, _, segs := pos.get()
	i, found := slices.BinarySearch(segs, seq)
	if !found {
		i--
	}
	if i < 0 {
		return fmt.Errorf("no journal segment holds record %d", seq)
	}
	if err := c.open(segs[i], pos); err != nil {
		return err
	}
	for c.next < seq {
		fr, _, err := c.r.next()
		if err != nil {
			c.reset()
			return fmt.Errorf("journal %s: seeking record %d: %w", segName(c.seg), seq, err)
		}
		if fr.kind == frameRecord {
			c.next = recordSeq(fr.body) + 1
		}
	}
	return nil
}

func (c *cursor) open(first uint64, pos *durablePos) error {
	c.reset()
	_, dseg, dend, _ := pos.get()
	limit := int64(-1)
	if first == dseg {
		limit = dend
	}
	r, err := openSegReader(filepath.Join(c.dir, segName(first)), limit)
	if err != nil {
		return err
	}
	if _, err := r.readHeader(first); err != nil {
		r.Close()
		return fmt.Errorf("journal %s: %w", segName(first), err)
	}
	c.r, c.seg, c.next = r, first, first
	return nil
}

// archive appends the current checkpoint to the checkpoint archive when the
// log grew and the last archived one is old enough (or force).
func (f *feeder) archive(force bool) {
	if !force && time.Since(f.lastArchive) < archiveInterval {
		return
	}
	f.lastArchive = time.Now()
	raw, err := f.reader.ReadCheckpoint(f.ctx)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			f.log.Warn("audit: reading the checkpoint to archive it", "err", err)
		}
		return
	}
	cp, err := openCheckpoint(raw, f.t.vkey)
	if err != nil {
		f.log.Error("audit: the published checkpoint does not verify", "err", err)
		return
	}
	if cp.Size <= f.archivedSize && f.archivedSize != 0 {
		return
	}
	if err := appendArchive(f.t.dir, raw); err != nil {
		if f.archiveFailures++; f.archiveFailures == 1 {
			f.log.Warn("audit: archiving a checkpoint", "err", err)
		}
		return
	}
	f.archivedSize = cp.Size
}
