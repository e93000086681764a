package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowOptions opens a trail whose writer takes non-durable records only
// after a minute (or at a durable append, or Close): FoldOutcome finds them
// waiting.
func slowOptions(dir string) Options {
	o := testOptions(dir)
	o.AsyncDelay = time.Minute
	return o
}

// rawRecords returns the event JSON of every sealed record of the trail in
// dir by sequence number.
func rawRecords(t testing.TB, dir string) map[uint64][]byte {
	t.Helper()
	out := map[uint64][]byte{}
	err := Records(context.Background(), dir, 0, func(seq uint64, js []byte) error {
		out[seq] = bytes.Clone(js)
		return nil
	})
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	return out
}

// A folded record is the record of the statement's event with Outcome set:
// byte for byte what Append writes for that event, and what encoding/json
// decodes back to it.
func TestFoldOutcomeIsTheEventWithItsOutcome(t *testing.T) {
	withIntent := statementEvent("s", 2)
	withIntent.Intent = map[string]string{"ticket": "OPS-7", "reason": "month end"}
	denied := statementEvent("s", 3)
	denied.Decision = Decision{Action: "deny", Rule: "no_drop", Reason: "DROP in prod"}
	cases := []struct {
		name    string
		ev      *Event
		outcome Outcome
	}{
		{"select", statementEvent("s", 1), Outcome{Tag: "SELECT 3", Rows: 3, Duration: 412 * time.Microsecond}},
		{"intent", withIntent, Outcome{Tag: "UPDATE 1", Rows: 1, Duration: time.Millisecond, MaskedColumns: 2}},
		{"failed", denied, Outcome{Duration: 90 * time.Microsecond, SQLState: "22012"}},
		{"escaped tag", statementEvent("s", 4), Outcome{Tag: "odd \"tag\"\n\u2028", Duration: 1}},
	}
	dir := t.TempDir()
	tr, err := Open(context.Background(), slowOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	seqs := make([]uint64, len(cases))
	for i, c := range cases {
		if seqs[i], err = tr.Append(c.ev, false); err != nil {
			t.Fatal(err)
		}
		if !tr.FoldOutcome(seqs[i], c.outcome) {
			t.Fatalf("%s: FoldOutcome of a waiting statement record = false", c.name)
		}
	}
	closeTrail(t, tr)
	recs := rawRecords(t, dir)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			js := recs[seqs[i]]
			var got Event
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatalf("folded record does not decode: %v\n%s", err, js)
			}
			want := *c.ev
			want.ID, want.Time, want.Outcome = got.ID, got.Time, c.outcome
			if !reflect.DeepEqual(got, want) {
				t.Errorf("folded record decodes to\n%+v\nwant\n%+v", got, want)
			}
			enc, _ := appendRecordEvent(nil, &want, time.Now())
			if !bytes.Equal(js, enc) {
				t.Errorf("folded record\n%s\nwant what Append writes for the event with its outcome\n%s", js, enc)
			}
			if !bytes.Equal(js, encodingJSON(t, &want)) {
				t.Errorf("folded record differs from encoding/json's encoding:\n%s", js)
			}
		})
	}
	if rep := mustVerify(t, dir); rep.Records != uint64(len(cases))+2 {
		t.Errorf("want trail.start, %d statements, trail.stop: %v", len(cases), rep)
	}
}

// FoldOutcome folds only into a statement record that still waits for the
// writer and has no outcome yet; otherwise the caller appends a separate
// record.
func TestFoldOutcomeRefuses(t *testing.T) {
	dir := t.TempDir()
	tr, err := Open(context.Background(), slowOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	o := Outcome{Tag: "SELECT 1", Rows: 1, Duration: time.Millisecond}
	app := func(ev *Event, durable bool) uint64 {
		t.Helper()
		seq, err := tr.Append(ev, durable)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	// A statement whose record is within a few bytes of the size limit: its
	// outcome does not fit.
	big := statementEvent("s", 9)
	// A fixed time: the encoding of the current one varies in length (it
	// drops trailing zeros of the nanoseconds).
	big.Time = time.Date(2026, 11, 23, 13, 0, 0, 123456789, time.UTC)
	big.Intent = map[string]string{}
	for i := range 31 {
		big.Intent[fmt.Sprint(i)] = strings.Repeat("x", maxStringBytes)
	}
	n, _ := appendRecordEvent(nil, big, time.Now())
	big.Intent["fill"] = strings.Repeat("y", maxEventBytes-len(n)-len(`,"fill":""`)-10)
	if n, short := appendRecordEvent(nil, big, time.Now()); short || len(n) != maxEventBytes-10 {
		t.Fatalf("the big statement's record is %d bytes (shortened: %v), want %d", len(n), short, maxEventBytes-10)
	}
	huge := statementEvent("s", 10)
	huge.Intent = map[string]string{}
	for i := range 40 {
		huge.Intent[fmt.Sprint(i)] = strings.Repeat("x", maxStringBytes)
	}
	hasOutcome := statementEvent("s", 11)
	hasOutcome.Outcome = o

	folded := app(statementEvent("s", 1), false)
	if !tr.FoldOutcome(folded, o) {
		t.Fatal("FoldOutcome of a waiting statement record = false")
	}
	for _, c := range []struct {
		name string
		seq  uint64
		o    Outcome
	}{
		{"already folded", folded, o},
		{"zero outcome", app(statementEvent("s", 2), false), Outcome{}},
		{"durable record", app(statementEvent("s", 3), true), o},
		{"not a statement", app(&Event{Type: TypeSessionStart, Session: "s"}, false), o},
		{"statement with a reason", app(&Event{Type: TypeStatement, Reason: "why"}, false), o},
		{"already has an outcome", app(hasOutcome, false), o},
		{"outcome would not fit", app(big, false), o},
		{"record cut to its essentials", app(huge, false), o},
		{"unknown record", 1 << 40, o},
		{"an older record", 0, o},
	} {
		if tr.FoldOutcome(c.seq, c.o) {
			t.Errorf("%s: FoldOutcome = true, want false", c.name)
		}
	}
	// Once the writer has taken a record, its outcome is a record of its own.
	taken := app(statementEvent("s", 12), false)
	app(&Event{Type: TypeConfigChange}, true)
	if tr.FoldOutcome(taken, o) {
		t.Error("FoldOutcome of a written record = true")
	}
	if !tr.FoldOutcome(app(statementEvent("s", 13), false), o) {
		t.Error("FoldOutcome of a record waiting in the next batch = false")
	}
}

// The writer splices folded outcomes into their records, and the durable
// records of a batch whose write failed are marked delayed, in either
// order.
func TestRebuildSplicesFoldsAndDelays(t *testing.T) {
	o := Outcome{Tag: "SELECT 2", Rows: 2, Duration: 5}
	enc := o.appendField(nil, maxStringBytes)
	for _, delayFirst := range []bool{false, true} {
		var b batch
		evs := []*Event{statementEvent("s", 1), statementEvent("s", 2), statementEvent("s", 3), statementEvent("s", 4)}
		durable := []bool{false, true, false, false}
		for i, ev := range evs {
			js, _ := appendRecordEvent(nil, ev, time.Now())
			b.add(uint64(10+i), js, durable[i], !durable[i], time.Now())
		}
		if !b.fold(10, enc) {
			t.Fatal("fold 10")
		}
		if delayFirst {
			b.markDelayed()
		}
		if !b.fold(13, enc) {
			t.Fatal("fold 13")
		}
		b.markDelayed()
		b.rebuild(false)
		if b.folded != 0 || len(b.folds) != 0 || len(b.alt) == 0 {
			t.Errorf("after rebuild: %d folds waiting (%d bytes)", b.folded, len(b.folds))
		}
		for i := range b.recs {
			js := b.buf[b.recs[i].off+frameHeaderSize+1+recordHeaderSize : b.end(i)]
			var got Event
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatalf("record %d: %v\n%s", i, err, js)
			}
			want := *evs[i]
			want.ID, want.Time = got.ID, got.Time
			switch i {
			case 0, 3:
				want.Outcome = o
			case 1:
				want.Delayed = true
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("delay first %v, record %d:\n%s", delayFirst, i, js)
			}
			if seq := recordSeq(b.buf[b.recs[i].off+frameHeaderSize+1:]); seq != uint64(10+i) {
				t.Errorf("record %d has seq %d", i, seq)
			}
		}
	}
}

// Statements appended and folded from many goroutines while the writer
// takes batches: every statement ends with exactly one outcome, folded or
// separate, and the trail verifies.
func TestFoldOutcomeConcurrent(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.AsyncDelay = 200 * time.Microsecond
	tr, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 300
	var wg sync.WaitGroup
	var mu sync.Mutex
	foldedN := 0
	for w := range writers {
		wg.Go(func() {
			session := fmt.Sprint("s", w)
			for i := range each {
				seq, err := tr.Append(statementEvent(session, uint64(i+1)), i%50 == 0)
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					time.Sleep(time.Duration(i%7) * 100 * time.Microsecond)
				}
				o := Outcome{Tag: "SELECT 1", Rows: 1, Duration: time.Duration(i + 1)}
				if tr.FoldOutcome(seq, o) {
					mu.Lock()
					foldedN++
					mu.Unlock()
					continue
				}
				if _, err := tr.Append(&Event{Type: TypeOutcome, Session: session, StatementSeq: uint64(i + 1), Outcome: o}, false); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	closeTrail(t, tr)
	outcomes := map[string]int{}
	for _, ev := range readEvents(t, dir) {
		if (ev.Type == TypeStatement || ev.Type == TypeOutcome) && ev.Outcome != (Outcome{}) {
			if ev.Outcome.Duration != time.Duration(ev.StatementSeq) {
				t.Errorf("%s #%d carries the outcome of #%d", ev.Session, ev.StatementSeq, ev.Outcome.Duration)
			}
			outcomes[fmt.Sprint(ev.Session, "#", ev.StatementSeq)]++
		}
	}
	if len(outcomes) != writers*each {
		t.Errorf("%d statements have an outcome, want %d", len(outcomes), writers*each)
	}
	for k, n := range outcomes {
		if n != 1 {
			t.Errorf("%s: %d outcomes", k, n)
		}
	}
	t.Logf("folded %d of %d outcomes", foldedN, writers*each)
	mustVerify(t, dir)
}

// Folding allocates nothing once the batch buffers have grown.
func TestFoldOutcomeAllocates(t *testing.T) {
	tr, err := Open(context.Background(), slowOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ev := statementEvent("s", 1)
	o := Outcome{Tag: "SELECT 1", Rows: 1, Duration: time.Millisecond}
	// A batch with 200 folds is written and becomes the spare; the batch
	// after the next reuses its buffers.
	for range 200 {
		seq, _ := tr.Append(ev, false)
		tr.FoldOutcome(seq, o)
	}
	tr.Append(ev, true)
	tr.Append(ev, true)
	var seqs []uint64
	for range 200 {
		seq, _ := tr.Append(ev, false)
		seqs = append(seqs, seq)
	}
	i := 0
	if n := testing.AllocsPerRun(100, func() {
		if !tr.FoldOutcome(seqs[i], o) {
			t.Fatal("not folded")
		}
		i++
	}); n != 0 {
		t.Errorf("FoldOutcome allocates %v times, want 0", n)
	}
}
