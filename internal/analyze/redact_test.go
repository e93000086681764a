package analyze_test

import (
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT name FROM customers WHERE id = 42", "SELECT name FROM customers WHERE id = $1"},
		{"UPDATE users SET password = 'hunter2', age = 3.5 WHERE email = 'a@b.c'",
			"UPDATE users SET password = $1, age = $2 WHERE email = $3"},
		{"SELECT * FROM t WHERE a = $1 AND b = 'x'", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT 1 -- card 4111111111111111\n", "SELECT $1 --\n"},
		{"SELECT /* ssn 078-05-1120 */ 1", "SELECT /**/ $1"},
		{`SELECT "it's" FROM t WHERE x = 'it''s'`, `SELECT "it's" FROM t WHERE x = $1`},
		// Texts the shape lexer refuses go through PostgreSQL's normaliser.
		{"SELECT $$secret$$", "SELECT $1"},
		{"SELECT E'sec\\'ret'", "SELECT $1"},
	}
	for _, c := range cases {
		if got := analyze.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// Unparseable text is not kept at all.
	got := analyze.Redact("SELEC 'secret")
	if strings.Contains(got, "secret") || !strings.Contains(got, "withheld") {
		t.Errorf("unparseable text: %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("SELECT 'a', 1, 2.5, $1 FROM t -- c\n")
	f.Add("SELECT $$x$$")
	f.Fuzz(func(t *testing.T, sql string) {
		out := analyze.Redact(sql)
		if strings.IndexByte(out, 0) >= 0 && strings.IndexByte(sql, 0) < 0 {
			t.Fatalf("a literal marker leaked: %q → %q", sql, out)
		}
	})
}

// Analyze works out each statement's redacted text once per cached
// analysis and hands it on to texts served from the caches; it must be
// what redacting each text afresh gives, whichever cache served it.
func TestAnalyzeRedacted(t *testing.T) {
	a := analyze.New(analyze.Options{})
	for _, texts := range [][]string{
		// one shape: served by the shape cache after the first
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 1", "SELECT abalance FROM pgbench_accounts WHERE aid = 987654", "select abalance from pgbench_accounts where aid = 5 -- a comment"},
		// several statements of one shape
		{"UPDATE t SET a = 1 WHERE id = 2; SELECT 'x'", "UPDATE t SET a = 10 WHERE id = 20; SELECT 'secret value'"},
		// one fingerprint, different shapes: served by the fingerprint cache
		{"SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (4)", "SELECT * FROM t WHERE id IN (5, 6)"},
		// parameters already there: placeholders are numbered after them
		{"SELECT * FROM t WHERE a = $1 AND b = 'x'", "SELECT * FROM t WHERE a = $1 AND b = 'y'"},
		// what neither lexer can read
		{"SELEC 1 'unterminated", "SELEC 2 'unterminated"},
	} {
		for _, sql := range texts {
			for i, st := range a.Analyze(sql) {
				if want := analyze.Redact(st.Text); st.Redacted != want {
					t.Errorf("%q statement %d: Redacted %q, want %q", sql, i, st.Redacted, want)
				}
				if strings.Contains(st.Redacted, "secret") || strings.Contains(st.Redacted, "987654") {
					t.Errorf("%q statement %d: Redacted %q keeps a literal", sql, i, st.Redacted)
				}
			}
		}
	}
}
