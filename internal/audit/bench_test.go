package audit

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"
)

// statementEvent is a typical statement record, as the proxy writes one
// per statement.
func statementEvent(session string, n uint64) *Event {
	return &Event{
		Type:         TypeStatement,
		Session:      session,
		StatementSeq: n,
		Identity:     Identity{Name: "claude@alice", Kind: "agent", Owner: "alice@example.com", Fingerprint: "anthropic/claude-code", Groups: []string{"agents"}},
		Datastore:    "shop",
		Environment:  "prod",
		Client:       Client{Addr: "10.0.0.7:51234", ApplicationName: "psql"},
		Statement: Statement{
			Text:        "UPDATE orders SET status = $1 WHERE id = $2",
			Fingerprint: "a0ead580058af585",
			Kind:        "update",
			Command:     "UPDATE",
			Tables:      []Table{{Schema: "public", Name: "orders", Access: "write"}},
		},
		Decision: Decision{Action: "allow", Rule: "default", Reason: "no rule objects"},
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openBench(b *testing.B) *Trail {
	b.Helper()
	tr, err := Open(context.Background(), Options{Dir: b.TempDir(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	return tr
}

// BenchmarkAppendDurable measures durable appends from many concurrent
// writers (64 per core), each waiting for its fsync: the throughput of the
// group commit.
func BenchmarkAppendDurable(b *testing.B) {
	for _, writers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			tr := openBench(b)
			ev := statementEvent("s", 1)
			b.SetParallelism(max(1, writers/ /* GOMAXPROCS */ 2))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := tr.Append(ev, true); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkAppendAsync measures the hot-path cost of a non-durable append
// (one per SELECT in the proxy) while the writer keeps up: every 1024
// appends the clock stops until the writer has written them. The writer
// and the log writer run meanwhile on the other core, as in the proxy.
func BenchmarkAppendAsync(b *testing.B) {
	tr := openBench(b)
	ev := statementEvent("s", 1)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := tr.Append(ev, false); err != nil {
			b.Fatal(err)
		}
		if n++; n%1024 == 0 {
			b.StopTimer()
			if _, err := tr.Append(ev, true); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkEncode measures the event encoding Append does in the caller.
func BenchmarkEncode(b *testing.B) {
	ev := statementEvent("s", 1)
	buf := make([]byte, 0, 4096)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendRecordEvent(buf[:0], ev, now)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkVerify measures Verify over a trail of 100,000 statement
// records, all in the Merkle log: records/s counts each record once
// (journal chain and seals, leaf, tree, tiles and matching).
func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	tr, err := Open(context.Background(), Options{Dir: dir, Logger: quietLogger(), CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n - 2 {
		if _, err := tr.Append(statementEvent("s", uint64(i+1)), i%1000 == 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := tr.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		rep, err := Verify(context.Background(), dir, VerifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Leaves != n || rep.Records != n {
			b.Fatalf("verified %v", rep)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkFeed measures how fast the log writer moves journal records into
// the Merkle log: 100,000 records are appended without waiting, and the
// clock runs until Close has fed them all and a checkpoint covers them.
func BenchmarkFeed(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		tr, err := Open(context.Background(), Options{Dir: b.TempDir(), Logger: quietLogger(), CheckpointInterval: 100 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for i := range n {
			if _, err := tr.Append(statementEvent("s", uint64(i+1)), false); err != nil {
				b.Fatal(err)
			}
		}
		if err := tr.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "records/s")
	}
}

// BenchmarkPacedCPU measures what the trail costs the whole process, in CPU
// time per record, at the rate of a busy proxy (20,000 non-durable records
// a second): the append, the journal writer with its fsyncs, and building
// and signing the Merkle log. CPU is user+system time of the process
// (getrusage), so work on every goroutine counts.
func BenchmarkPacedCPU(b *testing.B) {
	tr := openBench(b)
	ev := statementEvent("s", 1)
	cpu := pacedCPU(b, 20, func() {
		if _, err := tr.Append(ev, false); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(cpu, "cpu-µs/record")
}

// BenchmarkPacedSelectCPU is BenchmarkPacedCPU per SELECT, 10,000 a second,
// each recorded as the proxy does: its statement record, then its outcome
// as a record of its own (outcome-record, as every SELECT was recorded
// before FoldOutcome) or folded into the statement record when it still
// waits for the writer (folded, what the proxy does now).
func BenchmarkPacedSelectCPU(b *testing.B) {
	outcome := Event{Type: TypeOutcome, Session: "s", StatementSeq: 1, Identity: statementEvent("s", 1).Identity,
		Datastore: "shop", Environment: "prod", Client: Client{Addr: "10.0.0.7:51234", ApplicationName: "psql"},
		Outcome: Outcome{Tag: "SELECT 1", Rows: 1, Duration: 180 * time.Microsecond}}
	for _, fold := range []bool{false, true} {
		name := "outcome-record"
		if fold {
			name = "folded"
		}
		b.Run(name, func(b *testing.B) {
			tr := openBench(b)
			ev := statementEvent("s", 1)
			records := 0
			cpu := pacedCPU(b, 10, func() {
				seq, err := tr.Append(ev, false)
				if err != nil {
					b.Fatal(err)
				}
				records++
				if fold && tr.FoldOutcome(seq, outcome.Outcome) {
					return
				}
				if _, err := tr.Append(&outcome, false); err != nil {
					b.Fatal(err)
				}
				records++
			})
			b.ReportMetric(cpu, "cpu-µs/select")
			b.ReportMetric(float64(records)/float64(b.N), "records/select")
		})
	}
}

// BenchmarkFoldOutcome measures FoldOutcome on the caller's path: folding
// a read's outcome into its statement record, which waits for the writer.
// 1024 statement records wait (AsyncDelay is a minute); every 1024 folds
// the clock stops while they are made foldable again, so that the
// benchmark writes nothing to disk.
func BenchmarkFoldOutcome(b *testing.B) {
	tr, err := Open(context.Background(), Options{Dir: b.TempDir(), Logger: quietLogger(), AsyncDelay: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	ev := statementEvent("s", 1)
	seqs := make([]uint64, 1024)
	for i := range seqs {
		if seqs[i], err = tr.Append(ev, false); err != nil {
			b.Fatal(err)
		}
	}
	o := Outcome{Tag: "SELECT 1", Rows: 1, Duration: 180 * time.Microsecond}
	next := 0
	b.ReportAllocs()
	for b.Loop() {
		if next == len(seqs) {
			b.StopTimer()
			tr.mu.Lock()
			c := tr.cur
			if len(c.recs) != len(seqs) {
				b.Fatalf("the writer took the records")
			}
			for i := range c.recs {
				c.recs[i].foldable, c.recs[i].foldOff, c.recs[i].foldEnd = true, 0, 0
			}
			c.folds, c.folded = c.folds[:0], 0
			tr.mu.Unlock()
			next = 0
			b.StartTimer()
		}
		if !tr.FoldOutcome(seqs[next], o) {
			b.Fatal("not folded")
		}
		next++
	}
}

// pacedCPU calls op perMs times a millisecond for b's iterations and
// returns the process's CPU time per call, in µs.
func pacedCPU(b *testing.B, perMs int, op func()) float64 {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		if n%perMs == 0 {
			<-tick.C
		}
		n++
		op()
	}
	return float64(processCPU()-cpu0) / float64(time.Microsecond) / float64(n)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
