package analyze

import (
	"fmt"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

const (
	benchSelect = "SELECT abalance FROM pgbench_accounts WHERE aid = %d;"
	benchUpdate = "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d;"
	benchMulti  = "BEGIN; UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d; " +
		"SELECT abalance FROM pgbench_accounts WHERE aid = %[2]d; " +
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, %[2]d, %[1]d, CURRENT_TIMESTAMP); END;"
)

// texts returns n texts of one template that differ in their literals.
func texts(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		switch format {
		case benchSelect:
			out[i] = fmt.Sprintf(format, 1000+i)
		default:
			out[i] = fmt.Sprintf(format, i%5000-2500, 1000+i)
		}
	}
	return out
}

// BenchmarkAnalyze measures each way Analyze answers, for pgbench's
// statements: the same text again (exact), a text that differs only in
// literals (shape), a text the shape lexer refuses but whose fingerprint is
// cached (fingerprint), and a text seen for the first time (cold).
func BenchmarkAnalyze(b *testing.B) {
	for _, tc := range []struct{ name, format string }{
		{"select", benchSelect}, {"update", benchUpdate}, {"multi", benchMulti},
	} {
		b.Run("exact/"+tc.name, func(b *testing.B) {
			a := New(Options{})
			sql := texts(1, tc.format)[0]
			a.Analyze(sql)
			b.ReportAllocs()
			for b.Loop() {
				a.Analyze(sql)
			}
		})
		b.Run("shape/"+tc.name, func(b *testing.B) {
			a := New(Options{})
			ts := texts(1<<14, tc.format)
			a.Analyze(ts[0])
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a.Analyze(ts[i&(len(ts)-1)])
				i++
			}
		})
		b.Run("cold/"+tc.name, func(b *testing.B) {
			sql := texts(1, tc.format)[0]
			b.ReportAllocs()
			for b.Loop() {
				fp, err := pg.FingerprintToUInt64(sql)
				analyzeText(sql, fp, err)
			}
		})
	}
	b.Run("fingerprint/select", func(b *testing.B) {
		// An E'' string makes the shape lexer refuse the text; 2^14 texts
		// cycle through a 10,000-entry text cache, so every one misses it.
		a := New(Options{})
		ts := make([]string, 1<<14)
		for i := range ts {
			ts[i] = fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d AND note <> E'x';", i)
		}
		a.Analyze(ts[0])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			a.Analyze(ts[i&(len(ts)-1)])
			i++
		}
	})
	b.Run("shape-lexer/select", func(b *testing.B) {
		var s shaper
		sql := texts(1, benchSelect)[0]
		b.ReportAllocs()
		for b.Loop() {
			s.shape(sql)
		}
	})
	b.Run("parallel-exact/select", func(b *testing.B) {
		a := New(Options{})
		sql := texts(1, benchSelect)[0]
		a.Analyze(sql)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				a.Analyze(sql)
			}
		})
	})
}

// BenchmarkPgQuery measures the pg_query calls the lookups avoid, for
// comparison with BenchmarkAnalyze.
func BenchmarkPgQuery(b *testing.B) {
	sel, multi := texts(1, benchSelect)[0], texts(1, benchMulti)[0]
	b.Run("fingerprint/select", func(b *testing.B) {
		for b.Loop() {
			pg.FingerprintToUInt64(sel)
		}
	})
	b.Run("parse/select", func(b *testing.B) {
		for b.Loop() {
			pg.Parse(sel)
		}
	})
	b.Run("fingerprint/multi", func(b *testing.B) {
		for b.Loop() {
			pg.FingerprintToUInt64(multi)
		}
	})
	b.Run("split-scanner/multi", func(b *testing.B) {
		for b.Loop() {
			pg.SplitWithScanner(multi, true)
		}
	})
	b.Run("shape-lexer/multi", func(b *testing.B) {
		var s shaper
		for b.Loop() {
			s.shape(multi)
		}
	})
}
