package analyze

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Facts that depend on a literal must never be served to another text of
// the same shape or fingerprint.
func TestLiteralDependentFactsAreNotShared(t *testing.T) {
	pairs := [][2]string{
		{"DO $$BEGIN PERFORM 1; END$$", "DO $$BEGIN DROP TABLE t; END$$"},
		{"DO 'BEGIN PERFORM 1; END'", "DO 'BEGIN DROP TABLE t; END'"},
		{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'x', false)"},
		{"SET ROLE 'none'", "SET ROLE 'admin'"},
		{"SET standard_conforming_strings = 'on'", "SET standard_conforming_strings = 'off'"},
		{"SET client_encoding = 'UTF8'", "SET client_encoding = 'SJIS'"},
		{"EXECUTE a", "EXECUTE b"},
		{"PREPARE a AS SELECT 1", "PREPARE b AS SELECT 1"},
		{"EXPLAIN (ANALYZE 'off') DELETE FROM t", "EXPLAIN (ANALYZE 'on') DELETE FROM t"},
		{"COPY t FROM ''", "COPY t FROM '/etc/passwd'"},
		{"SELECT query_to_xml('SELECT 1', true, false, '')", "SELECT query_to_xml('SELECT * FROM secrets', true, false, '')"},
		{"SELECT table_to_xml('public', true, false, '')", "SELECT table_to_xml('secrets', true, false, '')"},
		{"DO $$BEGIN EXECUTE 'SELECT 1'; END$$", "DO $$BEGIN EXECUTE 'DROP TABLE t'; END$$"},
		{"SELECT * FROM orders_2024 WHERE id = 1", "SELECT * FROM orders_2025 WHERE id = 1"},
		{"CREATE TEMP TABLE a (id int)", "CREATE TEMP TABLE b (id int)"},
	}
	for _, p := range pairs {
		a := New(Options{})
		a.Analyze(p[0])
		got := goldenLines(a.Analyze(p[1]))
		want := goldenLines(New(Options{}).Analyze(p[1]))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q after %q:\n got %s\nwant %s", p[1], p[0], got, want)
		}
	}
}

// pg_query's fingerprint stops 100 nodes deep: texts that differ only
// below that fingerprint alike, so their facts must not be shared.
func TestDeepTreesAreNotShared(t *testing.T) {
	terms := strings.Repeat(" + 1", 150)
	benign := "SELECT 1" + terms
	evil := "SELECT pg_read_file('/etc/passwd')::int" + terms
	fb, _ := pg.FingerprintToUInt64(benign)
	fe, _ := pg.FingerprintToUInt64(evil)
	if fb != fe {
		t.Fatalf("premise: the fingerprints differ (%x, %x); find another pair", fb, fe)
	}
	a := New(Options{})
	if st := a.Analyze(benign); !st[0].LiteralSensitive {
		t.Errorf("a tree deeper than the fingerprint reads is not LiteralSensitive: %+v", st[0])
	}
	st := a.Analyze(evil)
	if !slices.Contains(st[0].Flags, FlagFileAccess) {
		t.Fatalf("served another text's facts: %+v", st[0])
	}
}

// Texts differing only in literal values share facts (by shape), each
// with its own text.
func TestShapeHit(t *testing.T) {
	a := New(Options{})
	a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 1; UPDATE t SET v = 'x' WHERE id = 2")
	st := a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 4242; UPDATE t SET v = 'it''s; not' WHERE id = 7")
	if a.byText.len() != 1 || a.byShape.len() != 1 {
		t.Fatalf("not a shape hit: %d texts, %d shapes cached", a.byText.len(), a.byShape.len())
	}
	if len(st) != 2 || st[0].Text != "SELECT abalance FROM pgbench_accounts WHERE aid = 4242" ||
		st[1].Text != "UPDATE t SET v = 'it''s; not' WHERE id = 7" {
		t.Fatalf("texts: %q", []string{st[0].Text, st[1].Text})
	}
	for _, s := range st {
		if fp, _ := pg.Fingerprint(s.Text); s.Fingerprint != fp {
			t.Errorf("%q: fingerprint %s, pg_query says %s", s.Text, s.Fingerprint, fp)
		}
	}
}

// A text the shape lexer refuses (an E” string) still shares facts with
// texts of its fingerprint.
func TestFingerprintHit(t *testing.T) {
	a := New(Options{})
	a.Analyze("SELECT name FROM customers WHERE note = E'a\\n'")
	st := a.Analyze("  SELECT name FROM customers WHERE note = E'b\\t' ; ")
	if a.byFingerprint.len() != 1 || a.byText.len() != 2 || a.byShape.len() != 0 {
		t.Fatalf("not a fingerprint hit: %d texts, %d shapes, %d fingerprints", a.byText.len(), a.byShape.len(), a.byFingerprint.len())
	}
	if st[0].Text != "SELECT name FROM customers WHERE note = E'b\\t'" || st[0].Tables[0].Name != "customers" {
		t.Fatalf("%+v", st[0])
	}
}

// Every statement's Fingerprint is pg_query's fingerprint of its Text.
func TestFingerprints(t *testing.T) {
	_, cases := readCases(t)
	for _, c := range cases {
		for _, s := range New(Options{}).Analyze(c.sql) {
			if s.ParseError != "" {
				if s.Fingerprint != "" {
					t.Errorf("%s: unparsed statement has fingerprint %s", c.title, s.Fingerprint)
				}
				continue
			}
			if fp, err := pg.Fingerprint(s.Text); err != nil || fp != s.Fingerprint {
				t.Errorf("%s: %q has fingerprint %s, pg_query says %s (%v)", c.title, s.Text, s.Fingerprint, fp, err)
			}
		}
	}
}

func TestUnparsed(t *testing.T) {
	st := New(Options{}).Analyze(" SELEC 1 ")
	want := Statement{Text: "SELEC 1", Redacted: "SELEC $1", Kind: KindUnknown, Flags: []string{FlagUnparsed},
		ParseError: `syntax error at or near "SELEC"`, Destructive: true, Dynamic: true}
	if len(st) != 1 || fmt.Sprint(st[0]) != fmt.Sprint(want) {
		t.Fatalf("got %+v\nwant %+v", st, want)
	}
}

func TestCacheSizeBoundsMemory(t *testing.T) {
	a := New(Options{CacheSize: 100})
	for i := range 1000 {
		a.Analyze(fmt.Sprintf("SELECT c%d FROM t%d", i, i))
	}
	for name, n := range map[string]int{"text": a.byText.len(), "shape": a.byShape.len(), "fingerprint": a.byFingerprint.len()} {
		if n > 100 || n == 0 {
			t.Errorf("%s cache holds %d entries, want 1..100", name, n)
		}
	}
	long := "SELECT 1 /*" + strings.Repeat("x", maxCachedText) + "*/"
	a.Analyze(long)
	if _, ok := a.byText.get(long); ok {
		t.Error("a text longer than maxCachedText was cached")
	}
}

func TestConcurrentUse(t *testing.T) {
	a := New(Options{CacheSize: 64})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				sql := fmt.Sprintf("UPDATE t%d SET v = %d WHERE id = %d", i%80, g, i)
				st := a.Analyze(sql)
				if len(st) != 1 || st[0].Text != sql || st[0].Kind != KindUpdate {
					t.Errorf("%q: %+v", sql, st)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The hot path stays within its allocation budget.
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets do not hold under the race detector")
	}
	a := New(Options{})
	sel := "SELECT abalance FROM pgbench_accounts WHERE aid = 1;"
	a.Analyze(sel)
	if n := testing.AllocsPerRun(100, func() { a.Analyze(sel) }); n != 0 {
		t.Errorf("exact hit: %v allocations, want 0", n)
	}
	other := "SELECT abalance FROM pgbench_accounts WHERE aid = 2;"
	if n := testing.AllocsPerRun(100, func() { a.Analyze(other) }); n > 1 {
		t.Errorf("shape hit: %v allocations, want at most 1", n)
	}
}

func TestRank(t *testing.T) {
	order := []Kind{KindSelect, KindTransaction, KindSet, KindUtility, KindInsert, KindCopy, KindUpdate,
		KindMerge, KindDelete, KindCall, KindDDL, KindPrivilege, KindUnknown}
	for i, k := range order {
		if Rank(k) != i {
			t.Errorf("Rank(%s) = %d, want %d", k, Rank(k), i)
		}
	}
	if Rank("nonsense") != Rank(KindUnknown) {
		t.Error("an unknown kind does not rank as KindUnknown")
	}
}

// A fingerprint hit teaches the Analyzer the text's shape: the next text
// of that shape is a shape hit.
func TestShapeLearnedFromFingerprintHit(t *testing.T) {
	a := New(Options{})
	a.Analyze("SELECT a FROM t WHERE id = 1")
	a.Analyze("select a from t where id = 2;")
	if a.byText.len() != 2 || a.byShape.len() != 2 {
		t.Fatalf("%d texts, %d shapes", a.byText.len(), a.byShape.len())
	}
	st := a.Analyze("select a from t where id = 3;")
	if a.byText.len() != 2 || len(st) != 1 || st[0].Text != "select a from t where id = 3" || st[0].Tables[0].Name != "t" {
		t.Fatalf("not a shape hit: %d texts, %+v", a.byText.len(), st)
	}
}
