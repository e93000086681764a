package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The journal is the durability point: segment files in <dir>/journal named
// by the sequence number of their first record (%020d.wal), each opened by
// a header frame and holding records and seals (frame.go). Only the last
// segment grows.

const (
	journalDir = "journal"
	segSuffix  = ".wal"

	// maxWriteBytes is the most one group commit writes. Open treats at
	// most this much unsealed or damaged data at the end of the journal as
	// the torn tail of a crash; more than that is damage it will not cut.
	maxWriteBytes = 8 << 20
)

var segMagic = []byte("dbward audit journal\n")

func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segSuffix) }

// listSegments returns the first sequence numbers of the segments in dir,
// ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) || len(name) != 20+len(segSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue
		}
		firsts = append(firsts, n)
	}
	slices.Sort(firsts)
	return firsts, nil
}

// segReader reads the frames of one segment file in order.
type segReader struct {
	f     *os.File
	limit int64 // read no byte at or after limit (< 0: to the end of the file)
	buf   []byte
	off   int64 // file offset of buf[r]
	r, w  int
	eof   bool
}

func openSegReader(path string, limit int64) (*segReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &segReader{f: f, limit: limit, buf: make([]byte, 1<<20)}, nil
}

func (s *segReader) Close() error { return s.f.Close() }

// extend moves the read limit (< 0: the end of the file) as the durable
// end of the segment moves.
func (s *segReader) extend(limit int64) {
	if limit != s.limit {
		s.limit, s.eof = limit, false
	}
}

// next returns the next frame, which aliases an internal buffer valid until
// the following call, and its file offset. At a clean end it returns io.EOF;
// when the segment ends inside a frame, errShort; on a damaged frame, an
// error wrapping errFrame.
func (s *segReader) next() (frame, int64, error) {
	for {
		f, err := decodeFrame(s.buf[s.r:s.w])
		if err == nil {
			off := s.off
			s.r += f.size
			s.off += int64(f.size)
			return f, off, nil
		}
		if !errors.Is(err, errShort) {
			return frame{}, s.off, err
		}
		if s.eof {
			if s.r == s.w {
				return frame{}, s.off, io.EOF
			}
			return frame{}, s.off, errShort
		}
		if err := s.fill(); err != nil {
			return frame{}, s.off, err
		}
	}
}

// fill moves the unread bytes to the front of the buffer and reads more.
func (s *segReader) fill() error {
	n := copy(s.buf, s.buf[s.r:s.w])
	s.r, s.w = 0, n
	if s.w == len(s.buf) { // a frame larger than the buffer: only damage can claim that
		s.buf = slices.Grow(s.buf, len(s.buf))[:2*len(s.buf)]
	}
	want := len(s.buf) - s.w
	if s.limit >= 0 {
		rem := s.limit - (s.off + int64(s.w))
		if rem <= 0 {
			s.eof = true
			return nil
		}
		want = int(min(int64(want), rem))
	}
	m, err := s.f.ReadAt(s.buf[s.w:s.w+want], s.off+int64(s.w))
	s.w += m
	if errors.Is(err, io.EOF) || (err == nil && m == 0) {
		s.eof = true
		return nil
	}
	return err
}

// readSegHeader reads and checks the magic and header frame of a segment.
func (s *segReader) readHeader(first uint64) (prev [32]byte, err error) {
	magic := make([]byte, len(segMagic))
	if _, err := s.f.ReadAt(magic, 0); err != nil || !bytes.Equal(magic, segMagic) {
		return prev, fmt.Errorf("%w: not a dbward journal segment", errFrame)
	}
	s.off = int64(len(segMagic))
	f, _, err := s.next()
	if err != nil {
		return prev, fmt.Errorf("segment header: %w", err)
	}
	if f.kind != frameHeader {
		return prev, fmt.Errorf("%w: segment does not start with a header", errFrame)
	}
	if got := binary.BigEndian.Uint64(f.body[1:9]); got != first {
		return prev, fmt.Errorf("%w: segment header says it starts at record %d", errFrame, got)
	}
	copy(prev[:], f.body[9:41])
	return prev, nil
}

// segmentFile is the segment being written.
type segmentFile struct {
	f     *os.File
	first uint64
	end   int64 // bytes durably written
}

// createSegment makes the segment for records from first on, whose previous
// record hashes to prev: written to a temporary name, synced, renamed, and
// the directory synced, so a segment file is either whole or absent.
func createSegment(dir string, first uint64, prev [32]byte) (*segmentFile, error) {
	b := append([]byte(nil), segMagic...)
	start := len(b)
	b = appendFrameStart(b, frameHeader)
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, first)
	b = append(b, prev[:]...)
	finishFrame(b, start)

	path := filepath.Join(dir, segName(first))
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &segmentFile{f: f, first: first, end: int64(len(b))}, nil
}

// write appends b at the durable end and makes it durable (fdatasync). On
// error the segment's durable end is unchanged; bytes past it are garbage
// that the next write overwrites.
func (s *segmentFile) write(b []byte) error {
	if _, err := s.f.WriteAt(b, s.end); err != nil {
		return err
	}
	if err := fdatasync(s.f); err != nil {
		return err
	}
	s.end += int64(len(b))
	return nil
}

// reopen replaces the file handle after a failure: the file must still hold
// at least the durable bytes; anything after them is cut.
func (s *segmentFile) reopen(dir string) error {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	f, err := os.OpenFile(filepath.Join(dir, segName(s.first)), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil && st.Size() < s.end {
		err = fmt.Errorf("journal segment %s shrank from %d to %d bytes while open", segName(s.first), s.end, st.Size())
	}
	if err == nil && st.Size() > s.end {
		if err = f.Truncate(s.end); err == nil {
			err = fdatasync(f)
		}
	}
	if err != nil {
		f.Close()
		return err
	}
	s.f = f
	return nil
}

func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// journalState is where a journal ends, as Open finds it.
type journalState struct {
	segments []uint64 // first seqs, ascending
	next     uint64   // seq of the next record
	head     [32]byte // hash of record next-1 (zeros when empty)
	end      int64    // durable end of the last segment
	repair   string   // what Open cut from a torn tail, for the trail.start record
}

// openJournal finds the end of the journal in dir, creating the first
// segment when there is none. A torn tail (unsealed records or a partial
// frame after the last seal, at most maxWriteBytes) is moved to a
// <segment>.torn-<time> file and cut; any other damage is an error.
func openJournal(dir string) (*segmentFile, journalState, error) {
	var st journalState
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, st, err
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix+".tmp")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t) // a rotation that did not finish: the old segment is still the last
		}
	}
	segs, err := listSegments(dir)
	if err != nil {
		return nil, st, err
	}
	if len(segs) == 0 {
		seg, err := createSegment(dir, 0, [32]byte{})
		if err != nil {
			return nil, st, err
		}
		st.segments = []uint64{0}
		st.end = seg.end
		return seg, st, nil
	}
	st.segments = segs
	last := segs[len(segs)-1]
	path := filepath.Join(dir, segName(last))
	r, err := openSegReader(path, -1)
	if err != nil {
		return nil, st, err
	}
	defer r.Close()
	head, err := r.readHeader(last)
	if err != nil {
		return nil, st, fmt.Errorf("journal %s: %w", segName(last), err)
	}
	st.head, st.next = head, last
	sealedEnd, sealedNext, sealedHead := r.off, last, head
	h := newLeafHasher()
	var damage error
	for {
		f, _, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			damage = err
			break
		}
		switch f.kind {
		case frameRecord:
			if recordSeq(f.body) != st.next || !bytes.Equal(recordPrev(f.body), st.head[:]) {
				damage = fmt.Errorf("%w: record %d out of chain", errFrame, recordSeq(f.body))
			}
			st.head = h.sum(f.body)
			st.next++
		case frameSeal:
			sealedEnd, sealedNext, sealedHead = r.off, st.next, st.head
		default:
			damage = fmt.Errorf("%w: unexpected %c frame", errFrame, f.kind)
		}
		if damage != nil {
			break
		}
	}
	fi, err := r.f.Stat()
	if err != nil {
		return nil, st, err
	}
	size := fi.Size()
	if size > sealedEnd {
		if size-sealedEnd > maxWriteBytes+sealBodySize+frameHeaderSize+1 {
			return nil, st, fmt.Errorf("journal %s is damaged at byte %d (%v) with %d bytes after it: "+
				"not a crash's torn tail; run 'dbward audit verify' and restore the journal",
				segName(last), sealedEnd, damage, size-sealedEnd)
		}
		torn := make([]byte, size-sealedEnd)
		if _, err := r.f.ReadAt(torn, sealedEnd); err != nil && !errors.Is(err, io.EOF) {
			return nil, st, err
		}
		keep := fmt.Sprintf("%s.torn-%d", path, time.Now().UnixNano())
		if err := writeFileSync(keep, torn, 0o600, true); err != nil {
			return nil, st, fmt.Errorf("keeping the torn tail: %w", err)
		}
		st.repair = fmt.Sprintf("cut %d unacknowledged bytes (%d records) from the end of journal %s after a crash; kept in %s",
			len(torn), st.next-sealedNext, segName(last), filepath.Base(keep))
	}
	st.next, st.head, st.end = sealedNext, sealedHead, sealedEnd
	seg := &segmentFile{first: last, end: sealedEnd}
	if err := seg.reopen(dir); err != nil {
		return nil, st, err
	}
	return seg, st, nil
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
