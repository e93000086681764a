package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func recordFrame(seq uint64, prev [32]byte, event string) []byte {
	b := appendFrameStart(nil, frameRecord)
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, prev[:]...)
	b = append(b, event...)
	finishFrame(b, 0)
	return b
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(recordFrame(7, [32]byte{1}, `{"id":"x"}`))
	f.Add(append(recordFrame(0, [32]byte{}, `{}`), recordFrame(1, [32]byte{2}, `{}`)...))
	seal := appendFrameStart(nil, frameSeal)
	seal = append(seal, make([]byte, sealBodySize)...)
	seal[frameHeaderSize+1] = recordVersion
	finishFrame(seal, 0)
	f.Add(seal)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 'R'})
	empty := appendFrameStart(nil, frameRecord)
	finishFrame(empty, 0)
	f.Add(empty)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		if err != nil {
			if !errors.Is(err, errFrame) && !errors.Is(err, errShort) {
				t.Fatalf("error %v wraps neither errFrame nor errShort", err)
			}
			return
		}
		if fr.size > len(b) || fr.size < frameHeaderSize+1 {
			t.Fatalf("frame size %d of %d bytes", fr.size, len(b))
		}
		// A valid frame encodes back to the same bytes.
		again := appendFrameStart(nil, fr.kind)
		again = append(again, fr.body...)
		finishFrame(again, 0)
		if !bytes.Equal(again, b[:fr.size]) {
			t.Fatalf("re-encoded frame differs")
		}
		if fr.kind == frameRecord {
			if _, err := parseLeaf(fr.body); err != nil {
				t.Fatalf("a decoded record is not a leaf: %v", err)
			}
			_ = recordSeq(fr.body)
			_ = recordPrev(fr.body)
			_ = recordEvent(fr.body)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0})
	f.Add([]byte{0})
	f.Add([]byte{0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		err := parseBundle(b, func(e []byte) error {
			total += 2 + len(e)
			return nil
		})
		if err == nil && total != len(b) {
			t.Fatalf("parsed %d of %d bytes without error", total, len(b))
		}
		if err != nil && !errors.Is(err, errFrame) {
			t.Fatalf("error %v does not wrap errFrame", err)
		}
	})
}

func FuzzParseLeaf(f *testing.F) {
	f.Add(recordFrame(3, [32]byte{}, "{}")[frameHeaderSize+1:])
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, err := parseLeaf(b)
		if err == nil && (len(b) < recordHeaderSize || seq != binary.BigEndian.Uint64(b[1:9])) {
			t.Fatalf("parseLeaf accepted %x", b)
		}
	})
}

// FuzzVerifyProof: no document, however malformed, makes VerifyProof
// panic, and only an unchanged proof verifies.
func FuzzVerifyProof(f *testing.F) {
	dir := f.TempDir()
	tr, err := Open(context.Background(), testOptions(dir))
	if err != nil {
		f.Fatal(err)
	}
	for i := range 5 {
		tr.Append(statementEvent("s", uint64(i)), false)
	}
	if err := tr.Close(); err != nil {
		f.Fatal(err)
	}
	key, _ := PublicKey(dir)
	p, err := Prove(context.Background(), dir, 3)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(p)
	f.Add(good)
	c, _ := ProveConsistency(context.Background(), dir, 7, 0)
	cons, _ := json.Marshal(c)
	f.Add(cons)
	f.Add([]byte(`{"format":"dbward-audit-inclusion/v1","leaf":"AQ=="}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := VerifyProof(doc, key)
		if err == nil && v.Format == FormatInclusion {
			var q InclusionProof
			if json.Unmarshal(doc, &q) != nil || !bytes.Equal(q.Leaf, p.Leaf) || q.Index != p.Index {
				t.Fatalf("a changed inclusion proof verified: %s", doc)
			}
		}
		if err != nil && !errors.Is(err, ErrBadProof) {
			t.Fatalf("error %v does not wrap ErrBadProof", err)
		}
	})
}

func FuzzVerifierKey(f *testing.F) {
	f.Add("PRIVATE+KEY+name+00000000+AQ==")
	f.Add("PRIVATE+KEY+a+b+c+d")
	f.Fuzz(func(t *testing.T, s string) {
		if vkey, err := verifierKey(s); err == nil {
			if _, err := note.NewVerifier(vkey); err != nil {
				t.Fatalf("derived key %q does not parse: %v", vkey, err)
			}
		}
	})
}
