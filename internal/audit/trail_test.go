package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestAppendCloseReopen(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	want := map[uint64]*Event{}
	for i := range 300 {
		ev := statementEvent("s1", uint64(i+1))
		seq, err := tr.Append(ev, i%7 == 0)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		want[seq] = ev
	}
	closeTrail(t, tr)

	tr = openTrail(t, dir)
	seq, err := tr.Append(&Event{Type: TypeSessionEnd, Session: "s1", Reason: "client closed"}, true)
	if err != nil {
		t.Fatal(err)
	}
	closeTrail(t, tr)

	got := readEvents(t, dir)
	// trail.start, 300 statements, trail.stop, trail.start, session.end, trail.stop
	if len(got) != 305 {
		t.Fatalf("%d records, want 305", len(got))
	}
	if got[0].Type != TypeTrailStart || got[301].Type != TypeTrailStop || got[302].Type != TypeTrailStart || got[304].Type != TypeTrailStop {
		t.Errorf("trail start/stop records missing: %v %v %v %v", got[0].Type, got[301].Type, got[302].Type, got[304].Type)
	}
	for seq, ev := range want {
		g := got[seq]
		if g.ID == "" || g.Time.IsZero() {
			t.Errorf("record %d: no id or time", seq)
		}
		g.ID, g.Time = "", time.Time{}
		if fmt.Sprint(g) != fmt.Sprint(*ev) {
			t.Errorf("record %d:\n got %+v\nwant %+v", seq, g, *ev)
		}
	}
	if got[seq].Type != TypeSessionEnd || got[seq].Reason != "client closed" {
		t.Errorf("record %d after reopen: %+v", seq, got[seq])
	}
	rep := mustVerify(t, dir)
	if rep.Leaves != 305 || rep.Records != 305 || rep.Tail != 0 {
		t.Errorf("after a clean close the log holds everything: %v", rep)
	}
}

func TestEventIDsAreUniqueAndTimesSet(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	before := time.Now()
	for range 100 {
		if _, err := tr.Append(&Event{Type: TypeAuthFailure, Identity: Identity{Name: "mallory"}, Reason: "bad password"}, false); err != nil {
			t.Fatal(err)
		}
	}
	fixed := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	seq, _ := tr.Append(&Event{ID: "given", Time: fixed, Type: TypeConfigChange}, true)
	closeTrail(t, tr)
	ids := map[string]bool{}
	for s, ev := range readEvents(t, dir) {
		if ids[ev.ID] {
			t.Errorf("duplicate id %s", ev.ID)
		}
		ids[ev.ID] = true
		if s == seq {
			if ev.ID != "given" || !ev.Time.Equal(fixed) || ev.Time.Location() != time.UTC {
				t.Errorf("given id and time not kept (in UTC): %v %v", ev.ID, ev.Time)
			}
		} else if ev.Time.Before(before.Add(-time.Second)) || len(ev.ID) != 36 || ev.ID[14] != '7' {
			t.Errorf("record %d: id %q time %v: want a UUIDv7 and the current time", s, ev.ID, ev.Time)
		}
	}
}

func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	const writers, each = 32, 200
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session := fmt.Sprintf("s%d", w)
			for i := range each {
				seq, err := tr.Append(statementEvent(session, uint64(i+1)), (w+i)%3 == 0)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				seqs <- seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	closeTrail(t, tr)

	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("sequence number %d returned twice", s)
		}
		seen[s] = true
	}
	got := readEvents(t, dir)
	perSession := map[string]uint64{}
	for s := range seen {
		perSession[got[s].Session]++
	}
	for w := range writers {
		if n := perSession[fmt.Sprintf("s%d", w)]; n != each {
			t.Errorf("session s%d: %d records, want %d", w, n, each)
		}
	}
	// Within one session the records are in statement order.
	last := map[string]uint64{}
	for s := uint64(0); s < uint64(len(got)); s++ {
		ev := got[s]
		if ev.Type != TypeStatement {
			continue
		}
		if ev.StatementSeq != last[ev.Session]+1 {
			t.Fatalf("record %d: session %s statement %d follows %d", s, ev.Session, ev.StatementSeq, last[ev.Session])
		}
		last[ev.Session] = ev.StatementSeq
	}
	mustVerify(t, dir)
}

func TestOpenTwiceIsRefused(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	defer closeTrail(t, tr)
	if _, err := Open(context.Background(), testOptions(dir)); err == nil {
		t.Fatal("a second Open of the same directory succeeded")
	}
}

func TestAppendAfterClose(t *testing.T) {
	tr := openTrail(t, t.TempDir())
	closeTrail(t, tr)
	_, err := tr.Append(&Event{Type: TypeStatement}, true)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrUnavailable and ErrClosed", err)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	closeTrail(t, tr)
	fi, err := os.Stat(filepath.Join(dir, signingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key mode %v, want 0600", fi.Mode().Perm())
	}
	pub, err := PublicKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pub != tr.PublicKey() {
		t.Errorf("PublicKey(dir) = %q, trail says %q", pub, tr.PublicKey())
	}
	// The key survives a reopen; only the first Open creates it.
	tr = openTrail(t, dir)
	closeTrail(t, tr)
	if tr.PublicKey() != pub {
		t.Error("the key changed on reopen")
	}
	// Read-only tools work from key.pub alone.
	os.Remove(filepath.Join(dir, signingKeyFile))
	if p2, err := PublicKey(dir); err != nil || p2 != pub {
		t.Errorf("PublicKey from key.pub: %q, %v", p2, err)
	}
}

func TestSegmentsRotate(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentBytes = 8 << 10
	tr, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := tr.Append(statementEvent("s", uint64(i+1)), i%10 == 0); err != nil {
			t.Fatal(err)
		}
	}
	closeTrail(t, tr)
	segs, _ := listSegments(filepath.Join(dir, journalDir))
	if len(segs) < 5 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	tr, err = Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	closeTrail(t, tr)
	if got := readEvents(t, dir); len(got) != 204 {
		t.Errorf("%d records, want 204", len(got))
	}
	mustVerify(t, dir)
}

func TestRecordLimits(t *testing.T) {
	long := make([]byte, 3*MaxTextBytes)
	for i := range long {
		long[i] = 'x'
	}
	huge := make([]string, 500)
	for i := range huge {
		huge[i] = string(long[:maxStringBytes*2]) + "\x01"
	}
	dir := t.TempDir()
	tr := openTrail(t, dir)
	s1, _ := tr.Append(&Event{Type: TypeStatement, Statement: Statement{Text: string(long)}}, false)
	s2, _ := tr.Append(&Event{Type: TypeStatement, Session: "big", Identity: Identity{Name: "n", Groups: huge}, Statement: Statement{Text: string(long), Fingerprint: "f"}}, true)
	closeTrail(t, tr)
	got := readEvents(t, dir)
	if e := got[s1]; len(e.Statement.Text) != MaxTextBytes || !e.Statement.TextTruncated {
		t.Errorf("long text: %d bytes, truncated %v", len(e.Statement.Text), e.Statement.TextTruncated)
	}
	if e := got[s2]; e.Session != "big" || e.Statement.Fingerprint != "f" || !e.Statement.TextTruncated || e.Reason == "" || e.Identity.Groups != nil {
		t.Errorf("oversized event not cut to its essentials: %+v", e)
	}
	mustVerify(t, dir)
}

func TestVerifyEmptyAndMissing(t *testing.T) {
	if _, err := Verify(context.Background(), filepath.Join(t.TempDir(), "nope"), VerifyOptions{}); err == nil || errors.Is(err, ErrTampered) {
		t.Errorf("Verify of a missing directory: %v, want a plain error", err)
	}
	dir := t.TempDir()
	closeTrail(t, openTrail(t, dir))
	mustVerify(t, dir)
}

// TestAsyncDelay: without Options.AsyncDelay, a batch of reads gathers for
// as long as still lets its write finish within AsyncDeadline, judging by
// how long writes have been taking.
func TestAsyncDelay(t *testing.T) {
	for _, c := range []struct {
		opt, writeTime, want time.Duration
	}{
		{0, 0, 9 * time.Millisecond},
		{0, 500 * time.Microsecond, 9 * time.Millisecond},
		{0, 1 * time.Millisecond, 8 * time.Millisecond},
		{0, 3 * time.Millisecond, 4 * time.Millisecond},
		{0, 20 * time.Millisecond, time.Millisecond},
		{2 * time.Millisecond, 20 * time.Millisecond, 2 * time.Millisecond},
	} {
		tr := &Trail{opts: Options{AsyncDelay: c.opt}, writeTime: c.writeTime}
		if got := tr.asyncDelay(); got != c.want {
			t.Errorf("AsyncDelay %v, writes taking %v: gather %v, want %v", c.opt, c.writeTime, got, c.want)
		}
	}
}
