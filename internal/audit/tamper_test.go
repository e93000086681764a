package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
)

// copyDir copies the trail in src to a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	copyTree(t, src, dst)
	return dst
}

// copyTree copies the files under src into dst, replacing those there.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// journalFrames splits the only journal segment of dir into its magic and
// raw frames.
func journalFrames(t *testing.T, dir string) (path string, frames [][]byte) {
	t.Helper()
	segs, _ := listSegments(filepath.Join(dir, journalDir))
	if len(segs) != 1 {
		t.Fatalf("%d segments, want 1", len(segs))
	}
	path = filepath.Join(dir, journalDir, segName(segs[0]))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw = raw[len(segMagic):]
	for len(raw) > 0 {
		fr, err := decodeFrame(raw)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, raw[:fr.size:fr.size])
		raw = raw[fr.size:]
	}
	return path, frames
}

func writeFrames(t *testing.T, path string, frames [][]byte) {
	t.Helper()
	b := append([]byte(nil), segMagic...)
	for _, f := range frames {
		b = append(b, f...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// recordIndex returns the position in frames of record seq.
func recordIndex(t *testing.T, frames [][]byte, seq uint64) int {
	t.Helper()
	for i, f := range frames {
		if f[frameHeaderSize] == frameRecord && recordSeq(f[frameHeaderSize+1:]) == seq {
			return i
		}
	}
	t.Fatalf("record %d not in the journal", seq)
	return -1
}

// forged returns a well-formed copy of a record frame with its event
// changed (and the checksum fixed, as a careful forger would).
func forged(frame []byte) []byte {
	body := append([]byte(nil), frame[frameHeaderSize+1:]...)
	if i := bytes.Index(body, []byte(`"s`)); i > 0 {
		body[i+1] = 'S' // "session" → "Session" or "s1" → "S1"
	}
	out := appendFrameStart(nil, frameRecord)
	out = append(out, body...)
	finishFrame(out, 0)
	return out
}

// withPrev returns a record frame with its prev hash replaced.
func withPrev(frame []byte, prev [32]byte) []byte {
	out := append([]byte(nil), frame...)
	copy(out[frameHeaderSize+1+9:], prev[:])
	finishFrame(out, 0)
	return out
}

func hashOf(frame []byte) [32]byte { return newLeafHasher().sum(frame[frameHeaderSize+1:]) }

// journalTamper are the ways to change a record in the journal; each says
// the record it changes.
var journalTamper = map[string]func(t *testing.T, frames [][]byte, k uint64) [][]byte{
	"modify": func(t *testing.T, frames [][]byte, k uint64) [][]byte {
		i := recordIndex(t, frames, k)
		frames[i] = forged(frames[i])
		return frames
	},
	"remove": func(t *testing.T, frames [][]byte, k uint64) [][]byte {
		i := recordIndex(t, frames, k)
		return append(frames[:i:i], frames[i+1:]...)
	},
	"reorder": func(t *testing.T, frames [][]byte, k uint64) [][]byte {
		i, j := recordIndex(t, frames, k), recordIndex(t, frames, k+1)
		frames[i], frames[j] = frames[j], frames[i]
		return frames
	},
	"insert": func(t *testing.T, frames [][]byte, k uint64) [][]byte {
		i := recordIndex(t, frames, k)
		f := withPrev(forged(frames[i]), hashOf(frames[recordIndex(t, frames, k-1)]))
		return append(frames[:i:i], append([][]byte{f}, frames[i:]...)...)
	},
}

// bundleTamper are the ways to change a leaf in an entry bundle of the log.
var bundleTamper = map[string]func(entries [][]byte, k int) [][]byte{
	"modify": func(e [][]byte, k int) [][]byte {
		e[k] = forged(append(appendFrameStart(nil, frameRecord), e[k]...))[frameHeaderSize+1:]
		return e
	},
	"remove":  func(e [][]byte, k int) [][]byte { return append(e[:k:k], e[k+1:]...) },
	"reorder": func(e [][]byte, k int) [][]byte { e[k], e[k+1] = e[k+1], e[k]; return e },
	"insert": func(e [][]byte, k int) [][]byte {
		f := forged(append(appendFrameStart(nil, frameRecord), e[k]...))[frameHeaderSize+1:]
		return append(e[:k:k], append([][]byte{f}, e[k:]...)...)
	},
}

// integratedTrail builds a closed trail of 700 records (leaves in three
// bundles), all in the Merkle log.
func integratedTrail(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tr := openTrail(t, dir)
	for i := range 698 {
		if _, err := tr.Append(statementEvent("s1", uint64(i+1)), i%5 == 0); err != nil {
			t.Fatal(err)
		}
	}
	closeTrail(t, tr)
	if rep := mustVerify(t, dir); rep.Leaves != 700 {
		t.Fatalf("setup: %v", rep)
	}
	return dir
}

// appendJournalOnly writes n durable records to the journal of the closed
// trail in dir the way the writer does, one group commit each, without
// feeding them to the log: the tail a running trail has before the log writer
// catches up.
func appendJournalOnly(t *testing.T, dir string, n int) (first uint64) {
	t.Helper()
	tr := &Trail{opts: testOptions(dir), dir: dir, jdir: filepath.Join(dir, journalDir), hasher: newLeafHasher()}
	tr.opts.SegmentBytes = 1 << 30
	var err error
	if tr.signer, tr.vkey, err = loadOrCreateKey(dir, "unused"); err != nil {
		t.Fatal(err)
	}
	seg, st, err := openJournal(tr.jdir)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.f.Close()
	tr.seg, tr.head, tr.written = seg, st.head, st.next
	for i := range n {
		seq := st.next + uint64(i)
		b := &batch{first: seq, done: make(chan struct{})}
		b.buf = appendFrameStart(nil, frameRecord)
		b.buf = append(b.buf, recordVersion)
		b.buf = binary.BigEndian.AppendUint64(b.buf, seq)
		b.buf = append(b.buf, zeroHash[:]...)
		b.buf, _ = appendRecordEvent(b.buf, statementEvent("tail", uint64(i+1)), time.Now())
		b.recs = []recRef{{off: 0, durable: true}}
		if err := tr.writeBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	return st.next
}

func TestVerifyFindsTampering(t *testing.T) {
	base := integratedTrail(t)
	// In the Merkle log and the journal: record 300 (bundle 1).
	for name, tamper := range journalTamper {
		t.Run("journal/integrated/"+name, func(t *testing.T) {
			dir := copyDir(t, base)
			path, frames := journalFrames(t, dir)
			writeFrames(t, path, tamper(t, frames, 300))
			wantProblem(t, dir, 300)
		})
	}
	for name, tamper := range bundleTamper {
		t.Run("log/bundle/"+name, func(t *testing.T) {
			dir := copyDir(t, base)
			path := filepath.Join(dir, logDir, layout.EntriesPath(1, 0))
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var entries [][]byte
			parseBundle(raw, func(e []byte) error { entries = append(entries, append([]byte(nil), e...)); return nil })
			var out []byte
			for _, e := range tamper(entries, 300-256) {
				out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
				out = append(out, e...)
			}
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
			wantProblem(t, dir, 300)
		})
	}
	t.Run("log/hash tile", func(t *testing.T) {
		dir := copyDir(t, base)
		path := filepath.Join(dir, logDir, layout.TilePath(0, 1, 0))
		raw, _ := os.ReadFile(path)
		raw[32*(300-256)] ^= 1
		os.WriteFile(path, raw, 0o600)
		wantProblem(t, dir, 300)
	})
	t.Run("checkpoint", func(t *testing.T) {
		dir := copyDir(t, base)
		path := filepath.Join(dir, logDir, "checkpoint")
		raw, _ := os.ReadFile(path)
		os.WriteFile(path, bytes.Replace(raw, []byte("\n700\n"), []byte("\n699\n"), 1), 0o600)
		_, err := Verify(context.Background(), dir, VerifyOptions{})
		var p *Problem
		if !errors.As(err, &p) || p.Where != "checkpoint" {
			t.Fatalf("Verify: %v, want a checkpoint problem", err)
		}
	})
	t.Run("another key", func(t *testing.T) {
		other := t.TempDir()
		closeTrail(t, openTrail(t, other))
		key, _ := PublicKey(other)
		_, err := Verify(context.Background(), base, VerifyOptions{Key: key})
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("Verify with another log's key: %v, want ErrTampered", err)
		}
	})

	// Only in the journal: records the log writer has not taken yet, protected by
	// the hash chain and the seals.
	tail := copyDir(t, base)
	first := appendJournalOnly(t, tail, 10)
	if rep := mustVerify(t, tail); rep.Tail != 10 || rep.Unsealed != 0 {
		t.Fatalf("journal-only tail: %v", rep)
	}
	for name, tamper := range journalTamper {
		t.Run("journal/tail/"+name, func(t *testing.T) {
			dir := copyDir(t, tail)
			path, frames := journalFrames(t, dir)
			writeFrames(t, path, tamper(t, frames, first+4))
			wantProblem(t, dir, first+4)
		})
	}
	t.Run("journal/tail/modify last", func(t *testing.T) {
		dir := copyDir(t, tail)
		path, frames := journalFrames(t, dir)
		writeFrames(t, path, journalTamper["modify"](t, frames, first+9))
		wantProblem(t, dir, first+9)
	})
}

func wantProblem(t *testing.T, dir string, index uint64) {
	t.Helper()
	rep, err := Verify(context.Background(), dir, VerifyOptions{})
	var p *Problem
	if !errors.As(err, &p) || !errors.Is(err, ErrTampered) {
		t.Fatalf("Verify: %v (%v), want a Problem", err, rep)
	}
	if p.Index != index {
		t.Errorf("first bad record %d (%s: %s), want %d", p.Index, p.Where, p.Detail, index)
	}
}
