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
