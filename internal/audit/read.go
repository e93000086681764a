package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"
)

// Records calls fn with the sequence number and event JSON of every sealed
// record in the journal of the trail in dir, from record from on, in order,
// and returns at the end of the journal. fn must not keep event after it
// returns. Records reads only, may run while the trail is open, and does
// not verify (Verify does). Records after the last seal are not passed:
// they are being written, or a crash cut them short.
func Records(ctx context.Context, dir string, from uint64, fn func(seq uint64, event []byte) error) error {
	return readRecords(ctx, dir, from, 0, fn)
}

// Follow is Records that does not stop at the end of the journal: it
// checks for new records every poll until ctx is done, and then returns
// ctx.Err().
func Follow(ctx context.Context, dir string, from uint64, poll time.Duration, fn func(seq uint64, event []byte) error) error {
	return readRecords(ctx, dir, from, poll, fn)
}

// Count returns the number of sealed records in the journal of the trail
// in dir.
func Count(ctx context.Context, dir string) (uint64, error) {
	segs, err := listSegments(filepath.Join(dir, journalDir))
	if err != nil {
		return 0, err
	}
	if len(segs) == 0 {
		return 0, nil
	}
	n := segs[len(segs)-1]
	err = readRecords(ctx, dir, n, 0, func(seq uint64, _ []byte) error {
		n = seq + 1
		return nil
	})
	return n, err
}

func readRecords(ctx context.Context, dir string, from uint64, poll time.Duration, fn func(uint64, []byte) error) error {
	jdir := filepath.Join(dir, journalDir)
	segs, err := listSegments(jdir)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(segs, from)
	if !found {
		i--
	}
	if len(segs) == 0 {
		return fmt.Errorf("%s has no journal", dir)
	}
	first := segs[max(i, 0)]
	var (
		r     *segReader
		held  []byte   // event JSON of the records since the last seal
		ends  []int    // where each held record ends in held
		seqs  []uint64 // and its seq
		next  = first  // seq of the next record in the segment
		timer *time.Timer
	)
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r == nil {
			if r, err = openSegReader(filepath.Join(jdir, segName(first)), -1); err != nil {
				return err
			}
			if _, err := r.readHeader(first); err != nil {
				return fmt.Errorf("journal %s: %w", segName(first), err)
			}
			held, ends, seqs, next = held[:0], ends[:0], seqs[:0], first
		}
		fr, _, err := r.next()
		if err == io.EOF || errors.Is(err, errShort) {
			// The end of what is written. A sealed segment followed by the
			// next one is done; otherwise wait for more, or stop.
			if len(ends) == 0 {
				if segs, _ = listSegments(jdir); len(segs) > 0 {
					if j, ok := slices.BinarySearch(segs, first); ok && j+1 < len(segs) && segs[j+1] == next {
						r.Close()
						r, first = nil, segs[j+1]
						continue
					}
				}
			}
			if poll <= 0 {
				return nil
			}
			if timer == nil {
				timer = time.NewTimer(poll)
				defer timer.Stop()
			} else {
				timer.Reset(poll)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
			r.eof = false
			continue
		}
		if err != nil {
			return fmt.Errorf("journal %s: %w", segName(first), err)
		}
		switch fr.kind {
		case frameRecord:
			next = recordSeq(fr.body) + 1
			if seq := next - 1; seq >= from {
				held = append(held, recordEvent(fr.body)...)
				ends = append(ends, len(held))
				seqs = append(seqs, seq)
			}
		case frameSeal:
			start := 0
			for j, end := range ends {
				if err := fn(seqs[j], held[start:end]); err != nil {
					return err
				}
				start = end
			}
			held, ends, seqs = held[:0], ends[:0], seqs[:0]
		}
	}
}
