package analyze

import "testing"

func shapeOf(sql string) (string, bool) {
	var s shaper
	ok := s.shape(sql)
	return string(s.key), ok
}

// Texts that differ only in literal values and comments share a shape.
func TestShapeSame(t *testing.T) {
	pairs := [][2]string{
		{"SELECT a FROM t WHERE id = 1", "SELECT a FROM t WHERE id = 2147483647"},
		{"SELECT a FROM t WHERE n = 'x'", "SELECT a FROM t WHERE n = 'it''s; DROP TABLE t; --'"},
		{"SELECT 1.5", "SELECT 2e-3"},
		{"SELECT 0x1F", "SELECT 0b101"},
		{"SELECT a /* c */ FROM t -- d", "SELECT a /* other /* nested */ text */ FROM t -- e"},
		{"SELECT 'a'\n'b'", "SELECT 'c'\n'd'"},
		{"SELECT $1, $2", "SELECT $1, $2"},
		{"SELECT a$b FROM t", "SELECT a$b FROM t"},
	}
	for _, p := range pairs {
		a, okA := shapeOf(p[0])
		b, okB := shapeOf(p[1])
		if !okA || !okB || a != b {
			t.Errorf("%q (%v) and %q (%v): shapes %q, %q", p[0], okA, p[1], okB, a, b)
		}
	}
}

// Texts the lexer reads differently never share a shape.
func TestShapeDifferent(t *testing.T) {
	pairs := [][2]string{
		{"SELECT a FROM t WHERE id = 1", "SELECT a FROM t WHERE id = 1.0"},        // ICONST vs FCONST
		{"SELECT a FROM t WHERE id = 1", "SELECT a FROM t WHERE id = 2147483648"}, // too big for ICONST
		{"SELECT a FROM t WHERE id = 1", "SELECT a FROM t WHERE id = '1'"},
		{"SELECT a FROM t", "SELECT  a FROM t"},
		{"SELECT a FROM t", "select a from t"},
		{"SELECT 'a'\n'b'", "SELECT 'a' 'b'"}, // continuation needs the newline
		{"SELECT $1", "SELECT $2"},
		{"SELECT a FROM t1", "SELECT a FROM t2"},
		{"SELECT a -- x\n, b", "SELECT a /* x */, b"},
	}
	for _, p := range pairs {
		a, okA := shapeOf(p[0])
		b, okB := shapeOf(p[1])
		if okA && okB && a == b {
			t.Errorf("%q and %q share shape %q", p[0], p[1], a)
		}
	}
}

// Forms whose lexing depends on more than the characters next to a literal
// get no shape.
func TestShapeRefuses(t *testing.T) {
	for _, sql := range []string{
		"SELECT E'a\\'b'", "SELECT e'x'", "SELECT B'101'", "SELECT X'1F'", "SELECT N'x'",
		"SELECT U&'d\\0061t'", `SELECT U&"d!0061t" UESCAPE '!'`, "SELECT date'2024-01-01'",
		"SELECT $$x$$", "SELECT $tag$x$tag$", "DO $$BEGIN END$$",
		"SELECT 1_000", "SELECT 1..2", "SELECT 1e", "SELECT 1e+", "SELECT 123abc", "SELECT 0x", "SELECT 0b102",
		"SELECT .5", "SELECT t.5", "SELECT 1'a'",
		"SELECT 'unterminated", `SELECT "unterminated`, "SELECT /* unterminated", "SELECT /* /* */",
		"SELECT 1 \\g", "SELECT '\x00'", "SELECT '\xff'", "SELECT $1abc",
	} {
		if key, ok := shapeOf(sql); ok {
			t.Errorf("%q: shape %q, want none", sql, key)
		}
	}
}

func TestShapeSemicolons(t *testing.T) {
	var s shaper
	if !s.shape("SELECT ';'; /* ; */ SELECT \";\" -- ;\n;") {
		t.Fatal("refused")
	}
	if len(s.semis) != 2 || s.semis[0] != 10 || s.semis[1] != 36 {
		t.Fatalf("semicolons at %v", s.semis)
	}
}
