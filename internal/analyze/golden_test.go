package analyze

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/cases.txt expectations from the code")

const casesFile = "testdata/cases.txt"

// goldenCase is one case of testdata/cases.txt.
type goldenCase struct {
	title string
	sql   string
	want  []string // one JSON object per statement
}

// goldenStmt is a Statement as the golden file shows it: its JSON form
// plus the fields that form leaves out.
type goldenStmt struct {
	Statement
	Prepare          string `json:"prepare,omitempty"`
	Execute          string `json:"execute,omitempty"`
	LiteralSensitive bool   `json:"literal_sensitive,omitempty"`
}

func goldenLines(stmts []Statement) []string {
	out := make([]string, 0, len(stmts))
	for _, s := range stmts {
		b, err := json.Marshal(goldenStmt{Statement: s, Prepare: s.Prepare, Execute: s.Execute, LiteralSensitive: s.LiteralSensitive})
		if err != nil {
			panic(err)
		}
		out = append(out, string(b))
	}
	return out
}

// readCases parses the golden file: a header of # lines, then cases, each
// "=== title", the SQL, "----", and the expected lines.
func readCases(t testing.TB) (header []string, cases []goldenCase) {
	t.Helper()
	f, err := os.Open(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var c *goldenCase
	var sql []string
	inSQL := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			cases = append(cases, goldenCase{title: strings.TrimPrefix(line, "=== ")})
			c, sql, inSQL = &cases[len(cases)-1], nil, true
		case c == nil:
			header = append(header, line)
		case inSQL && line == "----":
			c.sql, inSQL = strings.Join(sql, "\n"), false
		case inSQL:
			sql = append(sql, line)
		case line != "":
			c.want = append(c.want, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, cases
}

func writeCases(t *testing.T, header []string, cases []goldenCase) {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\n")
	}
	for i, c := range cases {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("=== " + c.title + "\n" + c.sql + "\n----\n")
		for _, w := range c.want {
			b.WriteString(w + "\n")
		}
	}
	if err := os.WriteFile(casesFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGolden checks the facts of every case of testdata/cases.txt, as a
// fresh Analyzer (no cache) finds them.
func TestGolden(t *testing.T) {
	header, cases := readCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases in %s", len(cases), casesFile)
	}
	for i := range cases {
		c := &cases[i]
		got := goldenLines(New(Options{}).Analyze(c.sql))
		if *update {
			c.want = got
			continue
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: %q\n got: %s\nwant: %s", c.title, c.sql, strings.Join(got, "\n      "), strings.Join(c.want, "\n      "))
		}
	}
	if *update {
		writeCases(t, header, cases)
	}
}

// TestCachedEqualsCold checks that every way a cached Analyzer can answer
// gives what analysing the text afresh gives: the same text again, and a
// text that differs only in literal values (the shape's probe) after the
// original warmed the caches.
func TestCachedEqualsCold(t *testing.T) {
	_, cases := readCases(t)
	for _, c := range cases {
		a := New(Options{})
		cold := goldenLines(a.Analyze(c.sql))
		if again := goldenLines(a.Analyze(c.sql)); strings.Join(again, "\n") != strings.Join(cold, "\n") {
			t.Errorf("%s: second analysis differs:\n%s\n%s", c.title, again, cold)
		}
		var sh shaper
		if !sh.shape(c.sql) || len(sh.lits) == 0 {
			continue
		}
		variant := sh.probe(c.sql)
		served := goldenLines(a.Analyze(variant))
		fresh := goldenLines(New(Options{}).Analyze(variant))
		if strings.Join(served, "\n") != strings.Join(fresh, "\n") {
			t.Errorf("%s: %q after %q:\nserved %s\nfresh  %s", c.title, variant, c.sql, served, fresh)
		}
	}
}
