package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Options configures Open. The zero value of every field but Dir is a
// working default.
type Options struct {
	// Dir holds the trail: journal, Merkle log, signing key. Required.
	Dir string
	// Logger receives the trail's own problems and recoveries. If nil,
	// they are discarded.
	Logger *slog.Logger
	// Origin names a new signing key and thereby the log (the first line of
	// every checkpoint). If empty, "dbward.audit/<hostname>". It is only
	// read when the key is created.
	Origin string
	// CheckpointInterval is how often a new checkpoint is signed while the
	// log grows. If zero, 1s; at least 100ms.
	CheckpointInterval time.Duration
	// AsyncDelay is how long the writer waits for more records when none of
	// those waiting is durable, to write them with one fsync. A
	// non-durable record is written within AsyncDelay plus one write;
	// until the writer takes it, a statement's outcome can be folded into
	// it (FoldOutcome). If zero, the writer waits as long as it can while
	// still making a non-durable record durable within AsyncDeadline: the
	// deadline less twice the time recent writes took (at most 9 ms, at
	// least 1 ms). Each write costs an fsync, and on a small machine fsyncs
	// are what the trail costs most.
	AsyncDelay time.Duration
	// SegmentBytes is the size at which the journal starts a new file. If
	// zero, 64 MiB.
	SegmentBytes int64
}

// Files and directories in Options.Dir besides the key files.
const (
	logDir         = "log"         // the Merkle log (tlog-tiles): checkpoint, tile/
	checkpointFile = "checkpoints" // archive of signed checkpoints
	lockFile       = "lock"
)

// Trail is an open audit trail. Its methods are safe for concurrent use.
type Trail struct {
	opts   Options
	log    *slog.Logger
	dir    string
	jdir   string
	signer note.Signer
	vkey   string
	lock   *os.File

	wake       chan struct{} // to the writer: records are waiting
	writerDone chan struct{}

	mu      sync.Mutex
	cur     *batch // records waiting for the writer
	spare   *batch // a written batch whose buffers the next one reuses
	nextSeq uint64
	closed  bool
	failErr error         // non-nil while the journal cannot be written
	taken   chan struct{} // closed (and replaced) when the writer takes t.cur

	// Writer-only state.
	seg       *segmentFile
	head      [32]byte // hash of the last durable record
	written   uint64   // records below are durable
	hasher    *leafHasher
	lastBatch int           // records in the last batch written
	writeTime time.Duration // how long writes take (write and fsync), smoothed
	sigMsg    []byte

	pos durablePos

	logw *logWriter

	closeOnce sync.Once
	closeErr  error
}

// durablePos is where the durable journal ends; the log writer reads up to it.
type durablePos struct {
	mu       sync.Mutex
	seq      uint64   // records below seq are durable
	seg      uint64   // first seq of the segment holding the end
	end      int64    // durable bytes in that segment
	segments []uint64 // every segment's first seq
}

func (p *durablePos) get() (seq, seg uint64, end int64, segs []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq, p.seg, p.end, p.segments
}

// batch is the records of one group commit.
type batch struct {
	buf      []byte   // record frames; prev hashes and checksums are filled in by the writer
	recs     []recRef // one per record, in seq order
	folds    []byte   // outcomes FoldOutcome folded into records of buf, in arrival order
	folded   int      // records with an outcome waiting in folds
	alt      []byte   // the previous backing array of buf, reused by rebuild
	first    uint64
	durables int       // records whose Append waits
	since    time.Time // when the first record arrived
	done     chan struct{}
	answered bool  // done is closed
	err      error // set before done is closed
}

type recRef struct {
	off int
	// folds[foldOff:foldEnd] is the outcome folded into the record, which
	// rebuild splices in before the record's closing brace; empty: none.
	foldOff, foldEnd int32
	durable          bool
	foldable         bool // FoldOutcome may still fold an outcome into the record
}

// size is how many bytes b will write, seal aside.
func (b *batch) size() int { return len(b.buf) + len(b.folds) }

// end is where record i's frame ends in b.buf.
func (b *batch) end(i int) int {
	if i+1 < len(b.recs) {
		return b.recs[i+1].off
	}
	return len(b.buf)
}

func (b *batch) answer(err error) {
	if !b.answered {
		b.err, b.answered = err, true
		close(b.done)
	}
}

const (
	// maxPendingBytes bounds the records waiting for the writer; beyond it
	// Append waits for the writer, up to maxBehind.
	maxPendingBytes = maxWriteBytes - 64<<10
	// flushBytes starts a write without waiting for AsyncDelay.
	flushBytes = 1 << 20
	// maxGather bounds how long the writer yields to let the appends the
	// last write answered come back before it writes again (a fraction of
	// an fsync).
	maxGather = 200 * time.Microsecond
)

// Open opens the trail in opts.Dir, creating it on first use: the
// directory (0700), an Ed25519 signing key (0600), the journal and the
// Merkle log. It repairs the torn tail a crash leaves in the journal,
// re-feeds to the Merkle log the records it does not hold yet, and appends
// a TypeTrailStart record. Only one process may have a trail open.
//
// Errors wrap ErrUnavailable when the directory cannot be written.
func Open(ctx context.Context, opts Options) (*Trail, error) {
	if opts.Dir == "" {
		return nil, errors.New("audit: Options.Dir is empty")
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.CheckpointInterval < 100*time.Millisecond {
		return nil, fmt.Errorf("audit: CheckpointInterval %v is below 100ms", opts.CheckpointInterval)
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = 64 << 20
	}
	if opts.Origin == "" {
		host, _ := os.Hostname()
		opts.Origin = "dbward.audit/" + strings.Map(func(r rune) rune {
			if r <= ' ' || r == '+' || r > '~' {
				return '-'
			}
			return r
		}, host)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Trail{
		opts:       opts,
		log:        log,
		dir:        opts.Dir,
		jdir:       filepath.Join(opts.Dir, journalDir),
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		hasher:     newLeafHasher(),
	}
	ok := false
	defer func() {
		if !ok {
			t.release()
		}
	}()
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, unavailable(err)
	}
	lock, err := os.OpenFile(filepath.Join(opts.Dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, unavailable(err)
	}
	t.lock = lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, fmt.Errorf("audit: %s is in use by another process: %w", opts.Dir, err)
	}
	if t.signer, t.vkey, err = loadOrCreateKey(opts.Dir, opts.Origin); err != nil {
		return nil, unavailable(err)
	}
	if fi, err := os.Stat(filepath.Join(opts.Dir, signingKeyFile)); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("audit: the signing key is readable by others; chmod 600 it", "file", filepath.Join(opts.Dir, signingKeyFile), "mode", fi.Mode().Perm())
	}
	seg, st, err := openJournal(t.jdir)
	if err != nil {
		return nil, unavailable(fmt.Errorf("opening the journal: %w", err))
	}
	t.seg, t.head, t.written, t.nextSeq = seg, st.head, st.next, st.next
	t.pos = durablePos{seq: st.next, seg: seg.first, end: seg.end, segments: st.segments}
	if st.repair != "" {
		log.Warn("audit: journal repaired after a crash", "detail", st.repair)
	}
	t.cur = &batch{done: make(chan struct{})}
	t.taken = make(chan struct{})

	lw, fed, err := openLogWriter(t, st.next)
	if err != nil {
		return nil, err
	}
	t.logw = lw
	go t.writeLoop()
	ok = true

	reason := fmt.Sprintf("journal holds %d records; the Merkle log held %d, the rest is being fed", st.next, fed)
	if st.repair != "" {
		reason += "; " + st.repair
	}
	if _, err := t.Append(&Event{Type: TypeTrailStart, Reason: reason}, true); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// release frees what Open took when it fails half way.
func (t *Trail) release() {
	if t.seg != nil && t.seg.f != nil {
		t.seg.f.Close()
	}
	if t.lock != nil {
		t.lock.Close()
	}
}

// PublicKey returns the trail's verifier key (note format), for auditors.
func (t *Trail) PublicKey() string { return t.vkey }

var encPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Append records ev and returns its sequence number in the journal (and
// normally its index in the Merkle log).
//
// With durable, Append returns only after the record is on disk (fsynced),
// sharing one fsync with every record that arrived meanwhile. Without, it
// returns once the record is queued; the record is written within
// Options.AsyncDelay plus one write, unless the process dies first.
//
// Append fills in ev's ID and Time in the record when they are empty, but
// does not change ev, and does not keep it after returning. It returns an
// error wrapping ErrUnavailable when the trail cannot take the record:
// writing is failing (until it works again), the writer is too far behind,
// or the trail is closed. A durable Append that fails may still have its
// record written later, marked Delayed.
func (t *Trail) Append(ev *Event, durable bool) (uint64, error) {
	now := time.Now()
	eb := encPool.Get().(*[]byte)
	js, shortened := appendRecordEvent((*eb)[:0], ev, now)
	foldable := !durable && !shortened && ev.foldable()

	t.mu.Lock()
	for t.cur.size() >= maxPendingBytes && t.failErr == nil && !t.closed {
		// The writer is behind: wait for it to take the batch, a while.
		taken := t.taken
		t.mu.Unlock()
		if !waitTaken(taken) {
			*eb = js
			encPool.Put(eb)
			return 0, unavailable(errors.New("the journal writer is too far behind"))
		}
		t.mu.Lock()
	}
	if err := t.refuseLocked(); err != nil {
		t.mu.Unlock()
		*eb = js
		encPool.Put(eb)
		return 0, err
	}
	b := t.cur
	seq := t.nextSeq
	t.nextSeq++
	b.add(seq, js, durable, foldable, now)
	wake := durable || len(b.recs) == 1 || b.size() >= flushBytes
	t.mu.Unlock()
	*eb = js
	encPool.Put(eb)

	if wake {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
	if !durable {
		return seq, nil
	}
	<-b.done
	return seq, b.err
}

var zeroHash [32]byte

// add appends record seq, event JSON js, to b; the writer fills in its
// previous record's hash and its frame's length and checksum.
func (b *batch) add(seq uint64, js []byte, durable, foldable bool, now time.Time) {
	start := len(b.buf)
	b.buf = appendFrameStart(b.buf, frameRecord)
	b.buf = append(b.buf, recordVersion)
	b.buf = binary.BigEndian.AppendUint64(b.buf, seq)
	b.buf = append(b.buf, zeroHash[:]...)
	b.buf = append(b.buf, js...)
	b.recs = append(b.recs, recRef{off: start, durable: durable, foldable: foldable})
	if len(b.recs) == 1 {
		b.first, b.since = seq, now
	}
	if durable {
		b.durables++
	}
}

// FoldOutcome records o, the outcome of the statement whose record Append
// numbered seq, in that record itself if the record is still waiting for
// the writer, and reports whether it did. A statement that ends within
// Options.AsyncDelay of being recorded (most reads) then costs the trail
// one record instead of two. The folded record is the one Append would
// have written for the statement's event with Outcome set (byte for byte),
// and it is written with the same write and fsync as without the outcome:
// folding delays nothing, and the outcome is durable no later than a
// separate record appended now would be.
//
// It does not fold, and returns false, when the writer has taken the
// record already, when the record was durable (written before Append
// returned), was not a TypeStatement record, was cut to its essentials or
// already has an outcome, when the outcome would take the record past the
// size limit, or when o is zero; the caller then appends a TypeOutcome
// record as before. It allocates nothing once the trail's buffers have
// grown to its load.
func (t *Trail) FoldOutcome(seq uint64, o Outcome) bool {
	if o == (Outcome{}) {
		return false // it would encode as nothing: keep the separate record
	}
	var scratch [128]byte
	enc := o.appendField(scratch[:0], maxStringBytes)

	t.mu.Lock()
	ok := t.cur.fold(seq, enc)
	t.mu.Unlock()
	return ok
}

// fold attaches enc, an encoded "outcome" field, to record seq when b holds
// that record and it can take enc (see FoldOutcome); the writer splices it
// in (rebuild).
func (b *batch) fold(seq uint64, enc []byte) bool {
	if seq < b.first || seq-b.first >= uint64(len(b.recs)) {
		return false
	}
	i := int(seq - b.first)
	r := &b.recs[i]
	event := b.end(i) - r.off - frameHeaderSize - 1 - recordHeaderSize
	if !r.foldable || event+len(enc) > maxEventBytes || b.size()+len(enc) > maxPendingBytes {
		return false
	}
	r.foldOff = int32(len(b.folds))
	b.folds = append(b.folds, enc...)
	r.foldEnd, r.foldable = int32(len(b.folds)), false
	b.folded++
	return true
}

func (t *Trail) refuseLocked() error {
	switch {
	case t.closed:
		return fmt.Errorf("%w: %w", ErrUnavailable, ErrClosed)
	case t.failErr != nil:
		return unavailable(t.failErr)
	}
	return nil
}

// maxBehind is how long Append waits for a writer that is too far behind
// before it reports the trail unavailable.
const maxBehind = time.Second

func waitTaken(taken chan struct{}) bool {
	timer := time.NewTimer(maxBehind)
	defer timer.Stop()
	select {
	case <-taken:
		return true
	case <-timer.C:
		return false
	}
}

// writeLoop is the journal's only writer: it takes the waiting records as
// one batch, writes and fsyncs them, and answers the durable appends.
func (t *Trail) writeLoop() {
	defer close(t.writerDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var gatherSince time.Time // when the writer started waiting for returning appends; zero: not waiting
	for {
		select {
		case <-t.wake:
		case <-timer.C:
		}
		for {
			t.mu.Lock()
			b := t.cur
			if len(b.recs) == 0 {
				closed := t.closed
				t.mu.Unlock()
				if closed {
					return
				}
				break
			}
			if b.durables == 0 && !t.closed && b.size() < flushBytes {
				if wait := t.asyncDelay() - time.Since(b.since); wait > 0 {
					t.mu.Unlock()
					timer.Reset(wait)
					break
				}
			}
			if gatherSince.IsZero() {
				gatherSince = time.Now()
			}
			if n := len(b.recs); b.durables > 0 && n < t.lastBatch && time.Since(gatherSince) < maxGather {
				// The appends the last write answered are coming back:
				// let them in before writing, so that one fsync takes
				// them all rather than the first few.
				t.mu.Unlock()
				runtime.Gosched()
				continue
			}
			gatherSince = time.Time{}
			t.lastBatch = len(b.recs)
			t.cur = t.newBatchLocked()
			close(t.taken)
			t.taken = make(chan struct{})
			t.mu.Unlock()
			t.commit(b)
		}
	}
}

// AsyncDeadline is how soon a non-durable record is durable when
// Options.AsyncDelay is zero (as DESIGN §7.1 promises for reads), unless
// a write takes longer than recent ones did.
const AsyncDeadline = 10 * time.Millisecond

// asyncDelay is how long a batch without durable records may gather.
func (t *Trail) asyncDelay() time.Duration {
	if t.opts.AsyncDelay > 0 {
		return t.opts.AsyncDelay
	}
	return min(max(AsyncDeadline-2*t.writeTime, time.Millisecond), 9*time.Millisecond)
}

func (t *Trail) newBatchLocked() *batch {
	nb := &batch{done: make(chan struct{})}
	if s := t.spare; s != nil {
		nb.buf, nb.recs, nb.folds, nb.alt = s.buf[:0], s.recs[:0], s.folds[:0], s.alt[:0]
		t.spare = nil
	}
	return nb
}

// commit writes b, retrying until it is written or the trail closes. The
// first failure answers b's durable appends with ErrUnavailable and makes
// Append refuse until a retry succeeds.
func (t *Trail) commit(b *batch) {
	backoff := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := t.writeBatch(b)
		if err == nil {
			t.writeTime += (time.Since(start) - t.writeTime) / 8
			if attempt > 0 {
				t.mu.Lock()
				t.failErr = nil
				t.mu.Unlock()
				t.log.Info("audit: trail writable again", "attempts", attempt+1)
			}
			b.answer(nil)
			t.mu.Lock()
			if cap(b.buf) <= 4*flushBytes && cap(b.alt) <= 4*flushBytes {
				t.spare = b
			}
			t.mu.Unlock()
			return
		}
		if attempt == 0 {
			t.log.Error("audit: cannot write the journal; refusing appends until it works again", "err", err)
			t.mu.Lock()
			t.failErr = err
			// Appends that got in before the failure wait in t.cur: answer
			// them now rather than after the outage.
			if c := t.cur; c.durables > 0 && !c.answered {
				c.markDelayed()
				c.answer(unavailable(err))
			}
			t.mu.Unlock()
			if b.durables > 0 {
				b.markDelayed()
			}
			b.answer(unavailable(err))
		}
		t.mu.Lock()
		closed := t.closed
		t.mu.Unlock()
		if closed && attempt > 0 {
			t.log.Error("audit: closing with records that could not be written", "records", len(b.recs), "err", err)
			return
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
		if err := t.seg.reopen(t.jdir); err != nil {
			t.log.Debug("audit: journal still not writable", "err", err)
		}
	}
}

// markDelayed rewrites b's durable records with "delayed":true.
func (b *batch) markDelayed() { b.rebuild(true) }

// rebuild rewrites b.buf with the folded outcomes spliced into their
// records and, with delayed, the durable records marked "delayed":true:
// both go just before a record's closing brace, where the encoding puts
// them (a folded record is never durable). Records change length, so the
// frames are copied into b.alt, which then becomes b.buf.
func (b *batch) rebuild(delayed bool) {
	const mark = `,"delayed":true`
	out := b.alt[:0]
	for i := range b.recs {
		r := &b.recs[i]
		fr := b.buf[r.off:b.end(i)]
		r.off = len(out)
		var add []byte
		switch {
		case r.foldEnd > r.foldOff:
			add = b.folds[r.foldOff:r.foldEnd]
			r.foldOff, r.foldEnd = 0, 0
		case delayed && r.durable && !strings.HasSuffix(string(fr), `"delayed":true}`):
			add = []byte(mark)
		default:
			out = append(out, fr...)
			continue
		}
		out = append(out, fr[:len(fr)-1]...)
		out = append(out, add...)
		out = append(out, '}')
	}
	b.alt, b.buf = b.buf, out
	b.folds, b.folded = b.folds[:0], 0
}

// writeBatch chains, checksums and seals b's records and writes them with
// one fsync.
func (t *Trail) writeBatch(b *batch) error {
	if t.seg.f == nil {
		return errors.New("journal segment not open")
	}
	if t.seg.end >= t.opts.SegmentBytes {
		if err := t.rotate(); err != nil {
			return fmt.Errorf("starting a new journal segment: %w", err)
		}
	}
	if b.folded > 0 {
		b.rebuild(false)
	}
	head := t.head
	lb := t.logw.batch(b.first)
	for i, r := range b.recs {
		end := b.end(i)
		body := b.buf[r.off+frameHeaderSize+1 : end]
		copy(body[9:41], head[:])
		head = t.hasher.sum(body)
		lb.hashes = append(lb.hashes, head)
		lb.entries = appendEntry(lb.entries, body)
		finishFrame(b.buf[:end], r.off)
	}
	last := b.first + uint64(len(b.recs)) - 1
	n := len(b.buf)
	t.sigMsg = sealMessage(t.sigMsg[:0], last, head[:])
	sig, err := t.signer.Sign(t.sigMsg)
	if err != nil {
		return fmt.Errorf("signing the seal: %w", err)
	}
	b.buf = appendFrameStart(b.buf, frameSeal)
	b.buf = append(b.buf, recordVersion)
	b.buf = binary.BigEndian.AppendUint64(b.buf, last)
	b.buf = append(b.buf, head[:]...)
	b.buf = binary.BigEndian.AppendUint32(b.buf, t.signer.KeyHash())
	b.buf = append(b.buf, sig...)
	finishFrame(b.buf, n)
	err = t.seg.write(b.buf)
	b.buf = b.buf[:n]
	if err != nil {
		t.logw.recycle(lb)
		return err
	}
	t.head, t.written = head, last+1
	t.pos.mu.Lock()
	t.pos.seq, t.pos.seg, t.pos.end = t.written, t.seg.first, t.seg.end
	t.pos.mu.Unlock()
	t.logw.offer(lb)
	return nil
}

// rotate starts a new segment for the records from t.written on.
func (t *Trail) rotate() error {
	seg, err := createSegment(t.jdir, t.written, t.head)
	if err != nil {
		return err
	}
	old := t.seg
	t.seg = seg
	if old.f != nil {
		old.f.Close()
	}
	t.pos.mu.Lock()
	t.pos.segments = append(t.pos.segments[:len(t.pos.segments):len(t.pos.segments)], seg.first)
	t.pos.seg, t.pos.end = seg.first, seg.end
	t.pos.mu.Unlock()
	return nil
}

// Close appends a TypeTrailStop record, writes what is waiting, feeds the
// Merkle log up to the end of the journal and waits for a checkpoint that
// covers it (giving up after a while: the journal keeps what is left for
// the next Open), then releases the directory.
func (t *Trail) Close() error {
	t.closeOnce.Do(func() {
		if _, err := t.Append(&Event{Type: TypeTrailStop}, true); err != nil && !errors.Is(err, ErrClosed) {
			t.log.Warn("audit: could not record the trail's stop", "err", err)
		}
		t.mu.Lock()
		t.closed = true
		t.mu.Unlock()
		select {
		case t.wake <- struct{}{}:
		default:
		}
		<-t.writerDone
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t.closeErr = t.logw.stop(ctx)
		if t.seg.f != nil {
			if err := t.seg.f.Close(); err != nil && t.closeErr == nil {
				t.closeErr = err
			}
		}
		t.lock.Close()
	})
	return t.closeErr
}
