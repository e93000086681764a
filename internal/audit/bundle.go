package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
)

// FormatBundle names evidence bundles (Bundle).
const FormatBundle = "dbward-audit-bundle/v1"

// Bundle is the evidence for a time range, for an auditor to check offline
// with the public key alone (VerifyBundle): every record of the range, each
// with its inclusion proof in one signed checkpoint, with consecutive
// indices — so none is missing inside the range — and, where they exist,
// the records just before and just after it, which show that none is
// missing at its edges.
type Bundle struct {
	Format     string         `json:"format"`
	From       time.Time      `json:"from"` // records at or after From…
	To         time.Time      `json:"to"`   // …and before To
	Checkpoint string         `json:"checkpoint"`
	Records    []BundleRecord `json:"records"`
}

// BundleRecord is one leaf of the log and its inclusion proof. Edge marks
// the record just before or just after the range.
type BundleRecord struct {
	Index uint64   `json:"index"`
	Edge  bool     `json:"edge,omitempty"`
	Leaf  []byte   `json:"leaf"`
	Proof [][]byte `json:"proof"`
}

// BundleReport is what VerifyBundle established.
type BundleReport struct {
	Checkpoint *Checkpoint
	From, To   time.Time
	Records    int    // records in the range
	First      uint64 // leaf index of the first record in the range (when Records > 0)
	Start, End bool   // the range starts at the log's first record / ends at the checkpoint's last
}

// MakeBundle collects the evidence for the records of the trail in dir
// with times in [from, to), against its latest checkpoint. Records too new
// for the checkpoint are not included (they follow within seconds).
func MakeBundle(ctx context.Context, dir string, from, to time.Time) (*Bundle, error) {
	cp, fetch, err := latestCheckpoint(ctx, dir)
	if err != nil {
		return nil, err
	}
	// The range is the leaves from the first at or after from to the last
	// before to; records between them are included whatever their time
	// (concurrent sessions' times may interleave by microseconds).
	first, last := int64(-1), int64(-1)
	err = readLeaves(ctx, fetch.ReadEntryBundle, 0, cp.Size, cp.Size, func(i uint64, leaf []byte) error {
		t, err := leafTime(leaf)
		if err != nil {
			return fmt.Errorf("leaf %d: %w", i, err)
		}
		if first < 0 && !t.Before(from) {
			first = int64(i)
		}
		if t.Before(to) {
			last = int64(i)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b := &Bundle{Format: FormatBundle, From: from.UTC(), To: to.UTC(), Checkpoint: string(cp.Raw)}
	if first < 0 {
		first = int64(cp.Size) // every record is before from
	}
	if last < first {
		last = first - 1 // an empty range: its edges still show that it is empty
	}
	lo, hi := max(first-1, 0), min(last+1, int64(cp.Size)-1)
	pb, err := client.NewProofBuilder(ctx, cp.Size, fetch.ReadTile)
	if err != nil {
		return nil, err
	}
	if hi >= lo {
		err = readLeaves(ctx, fetch.ReadEntryBundle, uint64(lo), uint64(hi)+1, cp.Size, func(i uint64, leaf []byte) error {
			hashes, err := pb.InclusionProof(ctx, i)
			if err != nil {
				return fmt.Errorf("proof of leaf %d: %w", i, err)
			}
			b.Records = append(b.Records, BundleRecord{Index: i, Edge: int64(i) < first || int64(i) > last,
				Leaf: bytes.Clone(leaf), Proof: hashes})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// leafTime reads the time of the event in a record body.
func leafTime(leaf []byte) (time.Time, error) {
	if _, err := parseLeaf(leaf); err != nil {
		return time.Time{}, err
	}
	var ev struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(recordEvent(leaf), &ev); err != nil {
		return time.Time{}, err
	}
	return ev.Time, nil
}

// VerifyBundle checks an evidence bundle with the verifier key alone:
// the checkpoint's signature, every record's inclusion in it, that the
// indices are consecutive, that every record inside the range has a time
// in it and that the edge records lie outside it. Errors for evidence that
// does not hold wrap ErrBadProof.
func VerifyBundle(doc []byte, vkey string) (*BundleReport, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadProof, fmt.Sprintf(format, args...))
	}
	var b Bundle
	if err := json.Unmarshal(doc, &b); err != nil {
		return nil, bad("not an evidence bundle: %v", err)
	}
	if b.Format != FormatBundle {
		return nil, bad("format %q, want %q", b.Format, FormatBundle)
	}
	cp, err := openCheckpoint([]byte(b.Checkpoint), vkey)
	if err != nil {
		return nil, bad("checkpoint: %v", err)
	}
	rep := &BundleReport{Checkpoint: cp, From: b.From, To: b.To}
	for i, r := range b.Records {
		if i > 0 && r.Index != b.Records[i-1].Index+1 {
			return nil, bad("records %d and %d are not consecutive: records are missing", b.Records[i-1].Index, r.Index)
		}
		lh := rfc6962.DefaultHasher.HashLeaf(r.Leaf)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.Index, cp.Size, lh, r.Proof, cp.Root); err != nil {
			return nil, bad("leaf %d is not in the log of %d records the checkpoint signs: %v", r.Index, cp.Size, err)
		}
		t, err := leafTime(r.Leaf)
		if err != nil {
			return nil, bad("leaf %d: %v", r.Index, err)
		}
		switch {
		case r.Edge && i == 0 && !t.Before(b.From):
			return nil, bad("the record before the range (leaf %d, %s) is not before %s", r.Index, t.Format(time.RFC3339Nano), b.From.Format(time.RFC3339Nano))
		case r.Edge && i == len(b.Records)-1 && t.Before(b.To):
			return nil, bad("the record after the range (leaf %d, %s) is not after %s", r.Index, t.Format(time.RFC3339Nano), b.To.Format(time.RFC3339Nano))
		case r.Edge && i != 0 && i != len(b.Records)-1:
			return nil, bad("leaf %d is marked as an edge inside the range", r.Index)
		case !r.Edge:
			if rep.Records == 0 {
				rep.First = r.Index
			}
			rep.Records++
		}
	}
	n := len(b.Records)
	rep.Start = n == 0 || (!b.Records[0].Edge && b.Records[0].Index == 0)
	rep.End = n == 0 || (!b.Records[n-1].Edge && b.Records[n-1].Index == cp.Size-1)
	if n > 0 && !b.Records[0].Edge && b.Records[0].Index != 0 {
		return nil, bad("the range starts at leaf %d without the record before it", b.Records[0].Index)
	}
	if n > 0 && !b.Records[n-1].Edge && b.Records[n-1].Index != cp.Size-1 {
		return nil, bad("the range ends at leaf %d without the record after it", b.Records[n-1].Index)
	}
	if n == 0 && cp.Size > 0 {
		return nil, bad("no records and no edges for a log of %d records", cp.Size)
	}
	return rep, nil
}
