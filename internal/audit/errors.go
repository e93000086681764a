package audit

import (
	"errors"
	"fmt"
)

var (
	// ErrUnavailable is wrapped by every error Append returns when the
	// record could not be (or, for a durable append, was not) made durable:
	// the disk is full or failing, permissions changed, the trail is
	// overloaded or closed. The proxy refuses the statement (SQLSTATE 58030).
	// A trail recovers by itself once it can write again.
	ErrUnavailable = errors.New("audit trail unavailable")

	// ErrClosed is wrapped, together with ErrUnavailable, by Append after
	// Close.
	ErrClosed = errors.New("audit trail closed")

	// ErrTampered is wrapped by the *Problem that Verify returns when the
	// trail is not what was written: a record modified, removed, reordered
	// or inserted, a signature that does not verify, a file missing.
	ErrTampered = errors.New("audit trail verification failed")

	// ErrNotCheckpointed is returned by Prove for a record that no signed
	// checkpoint covers yet (checkpoints follow within seconds).
	ErrNotCheckpointed = errors.New("record not covered by a signed checkpoint yet")

	// ErrBadProof is wrapped by VerifyProof's errors for a proof that does
	// not hold.
	ErrBadProof = errors.New("proof does not verify")
)

// Problem is the first thing Verify found wrong. It wraps ErrTampered.
type Problem struct {
	// Index is the first bad record: its journal sequence number, which is
	// also its leaf index in the Merkle log (the log writer keeps them
	// equal; where a damaged log does not, Detail names both).
	Index uint64
	// Where the problem shows: "journal", "log" (entry bundles or hash
	// tiles), or "checkpoint".
	Where  string
	Detail string

	upTo uint64 // the last record the problem may be in (Index when it names one)
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%v: record %d (%s): %s", ErrTampered, p.Index, p.Where, p.Detail)
}

func (p *Problem) Unwrap() error { return ErrTampered }

func unavailable(err error) error {
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
