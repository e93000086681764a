package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestInclusionProofVerifiesWithTheKeyAlone(t *testing.T) {
	dir := integratedTrail(t)
	key, err := PublicKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, index := range []uint64{0, 1, 255, 256, 300, 699} {
		p, err := Prove(ctx, dir, index)
		if err != nil {
			t.Fatalf("Prove(%d): %v", index, err)
		}
		doc, _ := json.MarshalIndent(p, "", "  ")
		got, err := VerifyProof(doc, key)
		if err != nil {
			t.Fatalf("VerifyProof(%d): %v", index, err)
		}
		if got.Index != index || got.Seq != index || got.Checkpoint.Size != 700 || got.Event == nil {
			t.Errorf("proof of %d: %+v", index, got)
		}
	}
	if _, err := Prove(ctx, dir, 700); !errors.Is(err, ErrNotCheckpointed) {
		t.Errorf("Prove beyond the checkpoint: %v, want ErrNotCheckpointed", err)
	}

	p, _ := Prove(ctx, dir, 300)
	doc, _ := json.Marshal(p)
	other := t.TempDir()
	closeTrail(t, openTrail(t, other))
	otherKey, _ := PublicKey(other)
	for name, change := range map[string]func(p *InclusionProof){
		"leaf":       func(p *InclusionProof) { p.Leaf[len(p.Leaf)-3] ^= 1 },
		"index":      func(p *InclusionProof) { p.Index = 301 },
		"proof hash": func(p *InclusionProof) { p.Proof[0][0] ^= 1 },
		"short":      func(p *InclusionProof) { p.Proof = p.Proof[1:] },
		"event":      func(p *InclusionProof) { p.Event = bytes.Replace(p.Event, []byte("UPDATE"), []byte("SELECT"), 1) },
		"seq":        func(p *InclusionProof) { p.Seq = 7 },
		"checkpoint": func(p *InclusionProof) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n700\n", "\n701\n", 1) },
		"format":     func(p *InclusionProof) { p.Format = "other" },
	} {
		var q InclusionProof
		json.Unmarshal(doc, &q)
		change(&q)
		bad, _ := json.Marshal(&q)
		if _, err := VerifyProof(bad, key); !errors.Is(err, ErrBadProof) {
			t.Errorf("modified %s: VerifyProof = %v, want ErrBadProof", name, err)
		}
	}
	if _, err := VerifyProof(doc, otherKey); !errors.Is(err, ErrBadProof) {
		t.Errorf("another log's key: %v, want ErrBadProof", err)
	}
	if _, err := VerifyProof([]byte("not json"), key); !errors.Is(err, ErrBadProof) {
		t.Errorf("garbage: %v, want ErrBadProof", err)
	}
}

func TestConsistencyProof(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var sizes []uint64
	for round := range 3 {
		tr := openTrail(t, dir)
		for i := range 100 * (round + 1) {
			tr.Append(statementEvent("s", uint64(i)), i == 0)
		}
		closeTrail(t, tr)
	}
	sizes, err := CheckpointSizes(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) < 3 {
		t.Fatalf("checkpoint sizes %v: want one archived per Close", sizes)
	}
	key, _ := PublicKey(dir)
	for _, old := range sizes {
		p, err := ProveConsistency(ctx, dir, old, 0)
		if err != nil {
			t.Fatalf("ProveConsistency(%d): %v", old, err)
		}
		doc, _ := json.Marshal(p)
		got, err := VerifyProof(doc, key)
		if err != nil {
			t.Fatalf("VerifyProof(consistency from %d): %v", old, err)
		}
		if got.Old.Size != old || got.Checkpoint.Size != sizes[len(sizes)-1] {
			t.Errorf("consistency proof %d → %d", got.Old.Size, got.Checkpoint.Size)
		}
		if len(p.Proof) > 0 {
			p.Proof[0][5] ^= 1
			bad, _ := json.Marshal(p)
			if _, err := VerifyProof(bad, key); !errors.Is(err, ErrBadProof) {
				t.Errorf("modified consistency proof from %d: %v, want ErrBadProof", old, err)
			}
		}
	}
	if _, err := ProveConsistency(ctx, dir, sizes[0]+1, 0); err == nil {
		t.Error("ProveConsistency from a size with no checkpoint kept succeeded")
	}
	mustVerify(t, dir)
}
