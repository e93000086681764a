package analyze

import (
	"slices"
	"strings"
	"testing"
)

var kinds = []Kind{KindSelect, KindTransaction, KindSet, KindUtility, KindInsert, KindCopy, KindUpdate,
	KindMerge, KindDelete, KindCall, KindDDL, KindPrivilege, KindUnknown}

// FuzzAnalyze checks that Analyze never panics, that its facts keep their
// invariants, and that a cached Analyzer answers a text that differs only
// in literal values exactly as a fresh one does.
func FuzzAnalyze(f *testing.F) {
	_, cases := readCases(f)
	for _, c := range cases {
		f.Add(c.sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		a := New(Options{CacheSize: 16})
		stmts := a.Analyze(sql)
		for _, s := range stmts {
			if !slices.Contains(kinds, s.Kind) {
				t.Fatalf("%q: kind %q", sql, s.Kind)
			}
			if strings.HasPrefix(s.ParseError, panicPrefix) {
				t.Fatalf("%q: %s", sql, s.ParseError)
			}
			if s.ParseError != "" && (s.Kind != KindUnknown || !slices.Contains(s.Flags, FlagUnparsed) || !s.Destructive) {
				t.Fatalf("%q: unparsed but %+v", sql, s)
			}
			if s.Kind == KindUnknown && !s.Destructive {
				t.Fatalf("%q: unknown effect but not destructive", sql)
			}
			if s.Fingerprint != "" && (len(s.Fingerprint) != 16 || strings.Trim(s.Fingerprint, "0123456789abcdef") != "") {
				t.Fatalf("%q: fingerprint %q", sql, s.Fingerprint)
			}
			if s.ParseError == "" && s.Command == "" {
				t.Fatalf("%q: no command", sql)
			}
		}
		var sh shaper
		if !sh.shape(sql) || len(sh.lits) == 0 {
			return
		}
		variant := sh.probe(sql)
		served := strings.Join(goldenLines(a.Analyze(variant)), "\n")
		fresh := strings.Join(goldenLines(New(Options{}).Analyze(variant)), "\n")
		if served != fresh {
			t.Fatalf("%q after %q:\nserved %s\nfresh  %s", variant, sql, served, fresh)
		}
	})
}
