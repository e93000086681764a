package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// An evidence bundle for a time range verifies with the public key alone,
// holds exactly the range's records, and any record taken out, changed or
// moved across its edges makes it fail.
func TestEvidenceBundle(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	// Three phases of ten records, a few milliseconds apart; marks[i] is
	// the time between phases i and i+1.
	var marks []time.Time
	for phase := range 3 {
		for i := range 10 {
			if _, err := tr.Append(&Event{Type: TypeStatement, Session: "s", StatementSeq: uint64(10*phase + i + 1)}, false); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond)
		marks = append(marks, time.Now())
		time.Sleep(5 * time.Millisecond)
	}
	closeTrail(t, tr) // Close waits for a checkpoint covering everything
	key, err := PublicKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	make := func(from, to time.Time) (*Bundle, []byte) {
		b, err := MakeBundle(ctx, dir, from, to)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(b)
		return b, doc
	}
	long := 24 * time.Hour

	cases := []struct {
		name       string
		from, to   time.Time
		records    int
		start, end bool
	}{
		{"middle", marks[0], marks[1], 10, false, false},
		// The trail's own start record comes first, its stop record last.
		{"from the start", marks[0].Add(-long), marks[0], 11, true, false},
		{"to the end", marks[1], marks[2].Add(long), 11, false, true},
		{"empty, between records", marks[0], marks[0].Add(time.Microsecond), 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, doc := make(c.from, c.to)
			rep, err := VerifyBundle(doc, key)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != c.records || rep.Start != c.start || rep.End != c.end {
				t.Fatalf("records=%d start=%v end=%v, want %d %v %v", rep.Records, rep.Start, rep.End, c.records, c.start, c.end)
			}
		})
	}

	b, _ := make(marks[0], marks[1])
	tamper := map[string]func(b *Bundle){
		"a record removed inside": func(b *Bundle) { b.Records = append(b.Records[:4], b.Records[5:]...) },
		"the edge before removed": func(b *Bundle) { b.Records = b.Records[1:] },
		"the edge after removed":  func(b *Bundle) { b.Records = b.Records[:len(b.Records)-1] },
		"a record changed": func(b *Bundle) {
			r := &b.Records[3]
			r.Leaf = []byte(strings.Replace(string(r.Leaf), `"session":"s"`, `"session":"x"`, 1))
		},
		"a record inside called an edge": func(b *Bundle) { b.Records = b.Records[1:]; b.Records[0].Edge = true },
		"the range widened":              func(b *Bundle) { b.From = b.From.Add(-long) },
		"a proof hash changed":           func(b *Bundle) { b.Records[2].Proof[0][0] ^= 1 },
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			c := cloneBundle(t, b)
			f(c)
			doc, _ := json.Marshal(c)
			if _, err := VerifyBundle(doc, key); !errors.Is(err, ErrBadProof) {
				t.Fatalf("tampered bundle: %v, want ErrBadProof", err)
			}
		})
	}
	// Another key does not verify it.
	_, doc := make(marks[0], marks[1])
	other := t.TempDir()
	closeTrail(t, openTrail(t, other))
	otherKey, _ := PublicKey(other)
	if _, err := VerifyBundle(doc, otherKey); !errors.Is(err, ErrBadProof) {
		t.Fatalf("bundle checked with another key: %v", err)
	}
}

func cloneBundle(t *testing.T, b *Bundle) *Bundle {
	doc, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var c Bundle
	if err := json.Unmarshal(doc, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func FuzzVerifyBundle(f *testing.F) {
	f.Add([]byte(`{"format":"dbward-audit-bundle/v1","checkpoint":"x","records":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		VerifyBundle(doc, "test.dbward/audit+00000000+AQ==")
	})
}
