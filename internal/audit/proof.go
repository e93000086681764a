package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// Proof formats, the "format" key of a proof document.
const (
	FormatInclusion   = "dbward-audit-inclusion/v1"
	FormatConsistency = "dbward-audit-consistency/v1"
)

// InclusionProof shows that one record is in the log a signed checkpoint
// commits to. It verifies with the log's public key alone (VerifyProof):
// the leaf's RFC 6962 hash, the proof hashes and the index must rebuild the
// checkpoint's root.
type InclusionProof struct {
	Format string `json:"format"`
	Index  uint64 `json:"index"` // leaf index in the Merkle log
	Seq    uint64 `json:"seq"`   // the record's journal sequence number, as the leaf says
	// Leaf is the record as the log holds it (frame.go: version, seq, prev
	// hash, event JSON).
	Leaf []byte `json:"leaf"`
	// Event is the event JSON inside Leaf, for people to read; VerifyProof
	// checks that it is what Leaf holds.
	Event      json.RawMessage `json:"event"`
	Proof      [][]byte        `json:"proof"`
	Checkpoint string          `json:"checkpoint"` // the signed checkpoint note
}

// ConsistencyProof shows that the log at the New checkpoint extends the log
// at the Old one, changing nothing in it.
type ConsistencyProof struct {
	Format string   `json:"format"`
	Old    string   `json:"old_checkpoint"`
	New    string   `json:"new_checkpoint"`
	Proof  [][]byte `json:"proof"`
}

// Prove returns the inclusion proof of leaf index in the latest checkpoint
// of the trail in dir. It returns ErrNotCheckpointed for a leaf the
// checkpoint does not cover yet.
func Prove(ctx context.Context, dir string, index uint64) (*InclusionProof, error) {
	cp, fetch, err := latestCheckpoint(ctx, dir)
	if err != nil {
		return nil, err
	}
	if index >= cp.Size {
		return nil, fmt.Errorf("%w: leaf %d, checkpoint of %d records", ErrNotCheckpointed, index, cp.Size)
	}
	var leaf []byte
	err = readLeaves(ctx, fetch.ReadEntryBundle, index, index+1, cp.Size, func(_ uint64, l []byte) error {
		leaf = bytes.Clone(l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	seq, err := parseLeaf(leaf)
	if err != nil {
		return nil, fmt.Errorf("leaf %d: %w", index, err)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, fetch.ReadTile)
	if err != nil {
		return nil, err
	}
	hashes, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, err
	}
	p := &InclusionProof{Format: FormatInclusion, Index: index, Seq: seq, Leaf: leaf,
		Event: recordEvent(leaf), Proof: hashes, Checkpoint: string(cp.Raw)}
	// Check before handing it out: a damaged tile makes a proof that fails.
	doc, err := json.Marshal(p)
	if err == nil {
		_, err = VerifyProof(doc, cp.vkey)
	}
	if err != nil {
		return nil, fmt.Errorf("the log's tiles do not prove leaf %d (run dbward audit verify): %w", index, err)
	}
	return p, nil
}

// ProveConsistency returns the proof that the log at the checkpoint of
// newSize records extends the one of oldSize records. Both must be the
// latest checkpoint or in the archive (ArchivedSizes lists them); newSize 0
// means the latest.
func ProveConsistency(ctx context.Context, dir string, oldSize, newSize uint64) (*ConsistencyProof, error) {
	cp, fetch, err := latestCheckpoint(ctx, dir)
	if err != nil {
		return nil, err
	}
	arch, _, err := readArchive(dir, cp.vkey)
	if err != nil {
		return nil, err
	}
	find := func(size uint64) (*Checkpoint, error) {
		if size == cp.Size {
			return &cp.Checkpoint, nil
		}
		for _, a := range arch {
			if a.Checkpoint != nil && a.Size == size {
				return a.Checkpoint, nil
			}
		}
		return nil, fmt.Errorf("no signed checkpoint of %d records is kept (see dbward audit prove --list)", size)
	}
	if newSize == 0 {
		newSize = cp.Size
	}
	if oldSize > newSize {
		return nil, fmt.Errorf("old size %d is larger than new size %d", oldSize, newSize)
	}
	oldCP, err := find(oldSize)
	if err != nil {
		return nil, err
	}
	newCP, err := find(newSize)
	if err != nil {
		return nil, err
	}
	pb, err := client.NewProofBuilder(ctx, newSize, fetch.ReadTile)
	if err != nil {
		return nil, err
	}
	var hashes [][]byte
	if oldSize > 0 && oldSize < newSize {
		if hashes, err = pb.ConsistencyProof(ctx, oldSize, newSize); err != nil {
			return nil, err
		}
	}
	return &ConsistencyProof{Format: FormatConsistency, Old: string(oldCP.Raw), New: string(newCP.Raw), Proof: hashes}, nil
}

// CheckpointSizes returns the sizes of the signed checkpoints the trail in
// dir keeps (archived ones and the latest), ascending, for
// ProveConsistency.
func CheckpointSizes(ctx context.Context, dir string) ([]uint64, error) {
	cp, _, err := latestCheckpoint(ctx, dir)
	if err != nil {
		return nil, err
	}
	arch, _, err := readArchive(dir, cp.vkey)
	if err != nil {
		return nil, err
	}
	var sizes []uint64
	for _, a := range arch {
		if a.Checkpoint != nil && (len(sizes) == 0 || a.Size > sizes[len(sizes)-1]) && a.Size < cp.Size {
			sizes = append(sizes, a.Size)
		}
	}
	return append(sizes, cp.Size), nil
}

type localCheckpoint struct {
	Checkpoint
	vkey string
}

func latestCheckpoint(ctx context.Context, dir string) (*localCheckpoint, client.FileFetcher, error) {
	fetch := client.FileFetcher{Root: filepath.Join(dir, logDir)}
	vkey, err := PublicKey(dir)
	if err != nil {
		return nil, fetch, err
	}
	raw, err := fetch.ReadCheckpoint(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fetch, fmt.Errorf("%w: the log has no checkpoint yet", ErrNotCheckpointed)
	}
	if err != nil {
		return nil, fetch, err
	}
	cp, err := openCheckpoint(raw, vkey)
	if err != nil {
		return nil, fetch, fmt.Errorf("the latest checkpoint does not verify (run dbward audit verify): %w", err)
	}
	return &localCheckpoint{Checkpoint: *cp, vkey: vkey}, fetch, nil
}

// Verified is what a proof showed.
type Verified struct {
	Format string
	// Checkpoint is the (new) checkpoint the proof verified against.
	Checkpoint *Checkpoint
	// Old is the old checkpoint of a consistency proof.
	Old *Checkpoint
	// Index, Seq and Event are the record of an inclusion proof.
	Index uint64
	Seq   uint64
	Event *Event
}

// VerifyProof checks a proof document (InclusionProof or ConsistencyProof
// as JSON) with the verifier key alone. Errors for a proof that does not
// hold wrap ErrBadProof.
func VerifyProof(doc []byte, vkey string) (*Verified, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return nil, fmt.Errorf("%w: not a proof document: %w", ErrBadProof, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadProof, fmt.Sprintf(format, args...))
	}
	switch head.Format {
	case FormatInclusion:
		var p InclusionProof
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, bad("%v", err)
		}
		cp, err := openCheckpoint([]byte(p.Checkpoint), vkey)
		if err != nil {
			return nil, bad("checkpoint: %v", err)
		}
		lh := rfc6962.DefaultHasher.HashLeaf(p.Leaf)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, lh, p.Proof, cp.Root); err != nil {
			return nil, bad("leaf %d is not in the log of %d records the checkpoint signs: %v", p.Index, cp.Size, err)
		}
		seq, err := parseLeaf(p.Leaf)
		if err != nil {
			return nil, bad("%v", err)
		}
		if seq != p.Seq {
			return nil, bad("the document says record %d but the leaf holds record %d", p.Seq, seq)
		}
		leafEvent := recordEvent(p.Leaf)
		if len(p.Event) > 0 {
			var a, b bytes.Buffer
			if json.Compact(&a, p.Event) != nil || json.Compact(&b, leafEvent) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				return nil, bad("the event shown is not the event in the leaf")
			}
		}
		var ev Event
		if err := json.Unmarshal(leafEvent, &ev); err != nil {
			return nil, bad("the leaf's event: %v", err)
		}
		return &Verified{Format: p.Format, Checkpoint: cp, Index: p.Index, Seq: seq, Event: &ev}, nil
	case FormatConsistency:
		var p ConsistencyProof
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, bad("%v", err)
		}
		oldCP, err := openCheckpoint([]byte(p.Old), vkey)
		if err != nil {
			return nil, bad("old checkpoint: %v", err)
		}
		newCP, err := openCheckpoint([]byte(p.New), vkey)
		if err != nil {
			return nil, bad("new checkpoint: %v", err)
		}
		if oldCP.Size > newCP.Size {
			return nil, bad("the old checkpoint (%d records) is larger than the new one (%d)", oldCP.Size, newCP.Size)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, oldCP.Size, newCP.Size, p.Proof, oldCP.Root, newCP.Root); err != nil {
			return nil, bad("the log of %d records does not extend the log of %d: %v", newCP.Size, oldCP.Size, err)
		}
		return &Verified{Format: p.Format, Checkpoint: newCP, Old: oldCP}, nil
	default:
		return nil, bad("unknown format %q", head.Format)
	}
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
