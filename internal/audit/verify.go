package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Key is the verifier key (note format) that signed the trail. If
	// empty, the key stored in the directory is used: that checks the trail
	// against itself; an auditor passes the key they were given.
	Key string
}

// Report is what Verify checked.
type Report struct {
	Origin     string
	Checkpoint *Checkpoint // the latest signed checkpoint; nil before the first
	Leaves     uint64      // Merkle log leaves checked against the checkpoint and the journal
	Records    uint64      // journal records whose hash chain and seals were checked
	Tail       uint64      // journal records not covered by the checkpoint yet (checked by chain and seals)
	Unsealed   uint64      // records after the last seal: a write in progress or cut short by a crash, never acknowledged
	Archived   int         // archived checkpoints checked against the recomputed tree
	Torn       []string    // files in which Open kept the torn tail of a crash
	Elapsed    time.Duration
}

// maxDisplacement is how far from its place Verify still matches a leaf to
// its journal record. The log writer puts record i at leaf i, so any
// displacement is damage; tolerating a little lets Verify name the
// records a reordering moved instead of reporting every leaf after it.
const maxDisplacement = 8192

// Verify checks the trail in dir, reading only; it may run while the trail
// is open. It checks:
//
//   - the latest checkpoint and every archived one against the key, and the
//     root of each against the tree recomputed from all leaves;
//   - every hash tile against the recomputed tree;
//   - every journal record: framing, checksum, sequence, hash chain, and the
//     signed seal that follows each group commit;
//   - that the leaves are the journal's records, each exactly once.
//
// It returns a *Problem (wrapping ErrTampered) for the first bad record
// found: modified, removed, reordered or inserted, in the journal or in the
// log. Other errors mean it could not check (no such directory, bad key).
// The journal's records beyond the last checkpoint are covered by the hash
// chain and the seals; removing whole group commits from the very end of
// the journal is the one change no local check can see.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Report, error) {
	start := time.Now()
	vkey := opts.Key
	if vkey == "" {
		var err error
		if vkey, err = PublicKey(dir); err != nil {
			return nil, err
		}
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, journalDir)); err != nil {
		return nil, fmt.Errorf("%s is not an audit trail: %w", dir, err)
	}
	rep := &Report{Origin: verifier.Name()}
	v := &verifier_{dir: dir, rep: rep, key: verifier, vkey: vkey}

	// The checkpoint first: everything up to its size was written before it.
	fetch := client.FileFetcher{Root: filepath.Join(dir, logDir)}
	cpProblem := ""
	if raw, err := fetch.ReadCheckpoint(ctx); err == nil {
		cp, err := openCheckpoint(raw, vkey)
		if err != nil {
			cpProblem = "the latest checkpoint does not verify with the key: " + err.Error()
		} else {
			rep.Checkpoint = cp
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else if _, err := os.Stat(filepath.Join(dir, logDir, "tile")); err == nil {
		cpProblem = "the Merkle log has tiles but no checkpoint"
	}
	arch, _, err := readArchive(dir, vkey)
	if err != nil {
		return nil, err
	}
	for i, a := range arch {
		if a.Err != nil {
			v.rangeProblem(0, math.MaxUint64, "checkpoint", fmt.Sprintf("archived checkpoint #%d: %v", i+1, a.Err))
			continue
		}
		v.archived = append(v.archived, a.Checkpoint)
	}
	slices.SortStableFunc(v.archived, func(a, b *Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	size := uint64(0)
	if rep.Checkpoint != nil {
		size = rep.Checkpoint.Size
	} else if len(v.archived) > 0 {
		// Check what the archive still vouches for.
		size = v.archived[len(v.archived)-1].Size
	}
	if cpProblem != "" {
		v.rangeProblem(size, math.MaxUint64, "checkpoint", cpProblem)
	}
	for len(v.archived) > 0 && v.archived[len(v.archived)-1].Size > size {
		a := v.archived[len(v.archived)-1]
		v.rangeProblem(size, a.Size-1, "checkpoint", fmt.Sprintf(
			"an archived checkpoint is for %d records but the latest is for %d: the log was cut back", a.Size, size))
		v.archived = v.archived[:len(v.archived)-1]
	}
	rep.Archived = len(v.archived)
	rep.Torn, _ = filepath.Glob(filepath.Join(dir, journalDir, "*.torn-*"))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan []jrec, 8)
	jerr := make(chan error, 1)
	go func() { jerr <- v.scanJournal(ctx, recs) }()
	if err := v.scanLog(ctx, fetch, size, recs); err != nil {
		cancel()
		<-jerr
		return rep, err
	}
	if err := <-jerr; err != nil {
		return rep, err
	}
	rep.Tail = rep.Records - min(rep.Records, rep.Leaves)
	rep.Elapsed = time.Since(start)
	if p := v.firstProblem(); p != nil {
		return rep, p
	}
	return rep, nil
}

// jrec is a journal record's hash, passed from the journal scan to the log
// scan.
type jrec struct {
	seq  uint64
	hash [32]byte
}

type verifier_ struct {
	dir      string
	rep      *Report
	key      note.Verifier
	vkey     string
	archived []*Checkpoint

	problems []*Problem // what the log scan found (it owns the list)
	jfirst   *Problem   // the journal scan's problem, merged into problems at the end
}

// problem records that record index is bad.
func (v *verifier_) problem(index uint64, where, detail string) {
	v.rangeProblem(index, index, where, detail)
}

// rangeProblem records that some record in [lo, hi] is bad, without
// knowing which (a seal or a root covers them all).
func (v *verifier_) rangeProblem(lo, hi uint64, where, detail string) {
	if len(v.problems) < 64 {
		v.problems = append(v.problems, &Problem{Index: lo, upTo: hi, Where: where, Detail: detail})
	}
}

// firstProblem picks the first bad record: the lowest index among the
// problems that name one record, and among the range problems that no such
// problem explains.
func (v *verifier_) firstProblem() *Problem {
	var best *Problem
	for _, p := range v.problems {
		if p.Index != p.upTo {
			explained := false
			for _, q := range v.problems {
				if q.Index == q.upTo && q.Index >= p.Index && q.Index <= p.upTo {
					explained = true
				}
			}
			if explained {
				continue
			}
		}
		if best == nil || p.Index < best.Index {
			best = p
		}
	}
	return best
}

// scanJournal walks every segment in order, checks framing, chain and
// seals, and sends the record hashes to recs (closing it at the end). A
// problem stops the scan: the chain cannot be followed past it.
func (v *verifier_) scanJournal(ctx context.Context, out chan<- []jrec) error {
	jdir := filepath.Join(v.dir, journalDir)
	segs, err := listSegments(jdir)
	if err != nil {
		return err
	}
	h := newLeafHasher()
	var (
		next        uint64
		head, head2 [32]byte // hashes of records next-1 and next-2
		sealedNext  uint64   // records below were sealed
		batch       = make([]jrec, 0, 512)
		msg         []byte
	)
	bad := func(index uint64, detail string) error {
		v.jfirst = &Problem{Index: index, upTo: index, Where: "journal", Detail: detail}
		return nil
	}
	badRange := func(lo, hi uint64, detail string) error {
		v.jfirst = &Problem{Index: lo, upTo: hi, Where: "journal", Detail: detail}
		return nil
	}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
			batch = make([]jrec, 0, 512)
			return true
		case <-ctx.Done():
			return false
		}
	}
	// Whatever ends the scan, the records checked so far go to the log
	// scan.
	defer func() {
		flush()
		close(out)
	}()
	if len(segs) == 0 || segs[0] != 0 {
		return bad(0, "the journal's first segment is missing")
	}
	for si, first := range segs {
		name := segName(first)
		lastSeg := si == len(segs)-1
		if first != next {
			return bad(next, fmt.Sprintf("segment %s starts at record %d, but the previous one ends before record %d: records missing", name, first, next))
		}
		r, err := openSegReader(filepath.Join(jdir, name), -1)
		if err != nil {
			return err
		}
		prev, err := r.readHeader(first)
		if err != nil {
			r.Close()
			return bad(next, fmt.Sprintf("segment %s: %v", name, err))
		}
		if prev != head {
			r.Close()
			return bad(next-min(next, 1), fmt.Sprintf("segment %s does not continue the hash chain of the previous one", name))
		}
		sealEnd := r.off
		// A broken record after the last seal of the last segment is the
		// unacknowledged tail of a crash unless a seal follows it.
		var pending *Problem
		for {
			fr, _, err := r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fi, serr := r.f.Stat()
				if serr == nil && lastSeg && fi.Size()-sealEnd <= maxWriteBytes+sealBodySize+frameHeaderSize+1 {
					break // torn tail of a crash, or a write in progress
				}
				r.Close()
				if pending != nil {
					v.jfirst = pending
					return nil
				}
				return bad(next, fmt.Sprintf("segment %s, byte %d: %v", name, r.off, err))
			}
			if pending != nil {
				if fr.kind == frameSeal {
					r.Close()
					v.jfirst = pending
					return nil
				}
				continue
			}
			switch fr.kind {
			case frameRecord:
				seq, prevOK := recordSeq(fr.body), bytes.Equal(recordPrev(fr.body), head[:])
				if seq != next || !prevOK {
					p := chainProblem(seq, prevOK, next, recordPrev(fr.body), head2)
					if lastSeg {
						pending = p
						continue
					}
					r.Close()
					v.jfirst = p
					return nil
				}
				head2 = head
				head = h.sum(fr.body)
				batch = append(batch, jrec{seq: next, hash: head})
				next++
				if len(batch) == cap(batch) && !flush() {
					r.Close()
					return ctx.Err()
				}
			case frameSeal:
				seq := binary.BigEndian.Uint64(fr.body[1:9])
				msg = sealMessage(msg[:0], seq, fr.body[9:41])
				kh := binary.BigEndian.Uint32(fr.body[41:45])
				switch {
				case next == 0 || seq != next-1:
					r.Close()
					return badRange(sealedNext, max(sealedNext, next-min(next, 1)), fmt.Sprintf("a seal for record %d follows record %d", seq, next-min(next, 1)))
				case kh != v.key.KeyHash() || !v.key.Verify(msg, fr.body[45:]):
					r.Close()
					return badRange(sealedNext, seq, fmt.Sprintf("the seal after records %d-%d does not verify with the key", sealedNext, seq))
				case !bytes.Equal(fr.body[9:41], head[:]):
					r.Close()
					return badRange(sealedNext, seq, fmt.Sprintf("records %d-%d do not match the seal that signs them: one of them was changed", sealedNext, seq))
				}
				sealedNext, sealEnd = next, r.off
			default:
				r.Close()
				return bad(next, fmt.Sprintf("segment %s: unexpected %c frame at byte %d", name, fr.kind, r.off))
			}
		}
		r.Close()
		if sealedNext != next && !lastSeg {
			return badRange(sealedNext, next-1, fmt.Sprintf("segment %s ends with records %d-%d that no seal covers", name, sealedNext, next-1))
		}
	}
	if !flush() {
		return ctx.Err()
	}
	v.rep.Records = sealedNext
	v.rep.Unsealed = next - sealedNext
	return nil
}

// chainProblem names the record to blame when the record found at position
// next (sequence number seq, prev hash prev) does not continue the chain.
func chainProblem(seq uint64, prevOK bool, next uint64, prev []byte, head2 [32]byte) *Problem {
	p := &Problem{Index: next, Where: "journal"}
	switch {
	case !prevOK && next >= 2 && bytes.Equal(prev, head2[:]):
		p.Index, p.Detail = next-1, fmt.Sprintf("record %d is not linked into the hash chain: it was inserted", next-1)
	case !prevOK && seq == next && next > 0:
		p.Index, p.Detail = next-1, fmt.Sprintf("record %d does not hash to what record %d says precedes it: it was modified", next-1, next)
	case seq != next:
		p.Detail = fmt.Sprintf("found record %d where record %d belongs: records removed, reordered or inserted", seq, next)
	default:
		p.Detail = fmt.Sprintf("record %d is not linked to the previous record", next)
	}
	p.upTo = p.Index
	return p
}

// scanLog reads the leaves [0, size) from the entry bundles, recomputes the
// tree and compares it with the checkpoints and the hash tiles, and matches
// every leaf with the journal record it carries.
func (v *verifier_) scanLog(ctx context.Context, fetch client.FileFetcher, size uint64, recs <-chan []jrec) error {
	const ringSize = 1 << 15 // > the span of records the matching window holds
	type slot struct {
		seq     uint64
		hash    [32]byte
		valid   bool
		matched bool
	}
	ring := make([]slot, ringSize)
	var (
		buffered   uint64 // journal records [0, buffered) have been received
		journalEnd bool
		evicted    uint64 // records below were checked out of the window
		above      uint64 // leaves carrying records at or beyond the log's size
	)
	pull := func(upto uint64) {
		for !journalEnd && buffered <= upto {
			b, ok := <-recs
			if !ok {
				journalEnd = true
				return
			}
			for _, r := range b {
				ring[r.seq%ringSize] = slot{seq: r.seq, hash: r.hash, valid: true}
			}
			buffered = b[len(b)-1].seq + 1
		}
	}
	// evict checks that the records leaving the window were matched.
	evict := func(below uint64) {
		for ; evicted < below && evicted < buffered; evicted++ {
			s := &ring[evicted%ringSize]
			if s.valid && s.seq == evicted && !s.matched {
				v.problem(evicted, "log", fmt.Sprintf("journal record %d is not in the Merkle log, though later records are", evicted))
			}
			s.valid = false
		}
	}

	tree := newTreeBuilder()
	pending := map[uint]([][32]byte){} // tile level → nodes of its current tile
	checkTile := func(level uint, index uint64, nodes [][32]byte) {
		raw, err := fetch.ReadTile(ctx, uint64(level), index, layout.PartialTileSize(uint64(level), index, size))
		span := uint64(1) << (8 * level) // leaves under one node of this tile
		firstLeaf := index * 256 * span
		if err != nil {
			v.problem(firstLeaf, "log", fmt.Sprintf("hash tile %d/%d: %v", level, index, err))
			return
		}
		for j, n := range nodes {
			if len(raw) < 32*(j+1) || !bytes.Equal(raw[32*j:32*(j+1)], n[:]) {
				lo := firstLeaf + uint64(j)*span
				v.rangeProblem(lo, lo+span-1, "log", fmt.Sprintf("hash tile %d/%d node %d does not match the leaves %d-%d",
					level, index, j, lo, lo+span-1))
				return
			}
		}
	}
	tree.onNode = func(level uint, index uint64, node [32]byte) {
		tl := level / 8
		pending[tl] = append(pending[tl], node)
		if len(pending[tl]) == 256 {
			checkTile(tl, index/256, pending[tl])
			pending[tl] = pending[tl][:0]
		}
	}
	archived := v.archived
	goodSize, rootsOK := uint64(0), true // the largest archived size whose root matched, before any mismatch
	checkArchived := func() {
		for len(archived) > 0 && archived[0].Size == tree.size {
			if r := tree.root(); !bytes.Equal(r[:], archived[0].Root) {
				v.rangeProblem(goodSize, tree.size-1, "checkpoint", fmt.Sprintf(
					"the tree of the first %d leaves does not have the root an archived checkpoint signed: a leaf in %d-%d was changed",
					tree.size, goodSize, tree.size-1))
				rootsOK = false
			} else if rootsOK {
				goodSize = tree.size
			}
			archived = archived[1:]
		}
	}
	checkArchived()

	leafHashes := make([][32]byte, 0, 256)
	h := newLeafHasher()
	for bi := uint64(0); bi*256 < size; bi++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := layout.PartialTileSize(0, bi, size)
		raw, err := fetch.ReadEntryBundle(ctx, bi, p)
		if err != nil {
			v.problem(bi*256, "log", fmt.Sprintf("entry bundle %d: %v", bi, err))
			break
		}
		leafHashes = leafHashes[:0]
		i := bi * 256
		want := min(size-i, 256)
		err = parseBundle(raw, func(leaf []byte) error {
			if uint64(len(leafHashes)) == want {
				return nil // a full bundle read for a partial size
			}
			lh := h.sum(leaf)
			leafHashes = append(leafHashes, lh)
			tree.append(lh)
			checkArchived()
			seq, err := parseLeaf(leaf)
			if err != nil {
				v.problem(i, "log", fmt.Sprintf("leaf %d: %v", i, err))
				i++
				return nil
			}
			if seq+maxDisplacement < i || seq >= i+maxDisplacement {
				v.problem(i, "log", fmt.Sprintf("leaf %d carries record %d, far from its place: leaves removed, reordered or inserted", i, seq))
				i++
				return nil
			}
			evict(i - min(i, 2*maxDisplacement))
			pull(seq)
			s := &ring[seq%ringSize]
			switch {
			case seq < evicted:
				v.problem(min(i, seq), "log", fmt.Sprintf("leaf %d carries record %d again", i, seq))
			case !s.valid || s.seq != seq:
				v.problem(i, "log", fmt.Sprintf("leaf %d carries record %d, which the journal does not hold", i, seq))
			case s.matched:
				v.problem(i, "log", fmt.Sprintf("leaf %d carries record %d again", i, seq))
			case s.hash != lh:
				v.problem(min(i, seq), "log", fmt.Sprintf("leaf %d differs from journal record %d", i, seq))
			default:
				s.matched = true
				if seq >= size {
					above++
				}
			}
			i++
			return nil
		})
		if err == nil && uint64(len(leafHashes)) < want {
			err = fmt.Errorf("%w: %d entries where %d belong", errFrame, len(leafHashes), want)
		}
		checkTile(0, bi, leafHashes)
		if err != nil {
			v.problem(bi*256+uint64(len(leafHashes)), "log", fmt.Sprintf("entry bundle %d: %v", bi, err))
			break
		}
	}
	if tree.size == size {
		for level, nodes := range pending {
			if len(nodes) > 0 {
				idx := (tree.size >> (8 * level)) / 256
				checkTile(level, idx, nodes)
			}
		}
		if cp := v.rep.Checkpoint; cp != nil {
			if r := tree.root(); !bytes.Equal(r[:], cp.Root) {
				v.rangeProblem(goodSize, size-1, "checkpoint", fmt.Sprintf(
					"the tree recomputed from the %d leaves does not have the root the checkpoint signed: a leaf in %d-%d was changed",
					size, goodSize, size-1))
			}
		}
	}
	v.rep.Leaves = tree.size
	// Drain the journal: records the log should hold by now must have been
	// matched; the rest is the tail.
	for {
		pull(buffered)
		if journalEnd {
			break
		}
	}
	evict(min(buffered, size-min(size, maxDisplacement)))
	// Below the log's size, as many records may be missing from it as it
	// holds records from above (a log that reorders a batch); no more.
	var missing []uint64
	for s := evicted; s < min(buffered, size); s++ {
		if sl := &ring[s%ringSize]; sl.valid && sl.seq == s && !sl.matched {
			missing = append(missing, s)
		}
	}
	if uint64(len(missing)) > above {
		v.problem(missing[0], "log", fmt.Sprintf("journal record %d is not in the Merkle log of %d records", missing[0], size))
	}
	if v.jfirst != nil {
		v.rangeProblem(v.jfirst.Index, v.jfirst.upTo, v.jfirst.Where, v.jfirst.Detail)
	}
	return nil
}

// String summarises the report for people.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "log %s: ", r.Origin)
	if r.Checkpoint != nil {
		fmt.Fprintf(&b, "checkpoint of %d records, ", r.Checkpoint.Size)
	} else {
		b.WriteString("no checkpoint yet, ")
	}
	fmt.Fprintf(&b, "%d leaves and %d journal records checked, %d not yet in a checkpoint", r.Leaves, r.Records, r.Tail)
	if r.Unsealed > 0 {
		fmt.Fprintf(&b, ", %d unsealed at the end (never acknowledged)", r.Unsealed)
	}
	if r.Archived > 0 {
		fmt.Fprintf(&b, ", %d archived checkpoints", r.Archived)
	}
	if len(r.Torn) > 0 {
		fmt.Fprintf(&b, "; crash tails kept in %s", strings.Join(r.Torn, ", "))
	}
	fmt.Fprintf(&b, " (%v)", r.Elapsed.Round(time.Millisecond))
	return b.String()
}
