package preview

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestRunWithholdsValues: a dry run's error says what failed, in the
// server's words, but never quotes a bound value.
func TestRunWithholdsValues(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, tt := range []struct {
		text   string
		params []string
		want   string // in the error
	}{
		{"INSERT INTO archive VALUES ($1, 1, 'x')", []string{"secret-value"}, "SQLSTATE 22P02 (its message is withheld"},
		{"UPDATE orders SET total = $1::int / 0 WHERE id = 1", []string{"8"}, "SQLSTATE 22012 (its message is withheld"},
		{"INSERT INTO orders VALUES ($1, 1, 'x')", []string{"1"}, `duplicate key value violates unique constraint "orders_pkey" (SQLSTATE 23505)`},
	} {
		_, err := Run(ctx, c, tt.text, bytes(tt.params...), nil, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.text, err, tt.want)
			continue
		}
		for _, p := range tt.params {
			if len(p) > 1 && strings.Contains(err.Error(), p) {
				t.Errorf("%s: the error quotes %q: %v", tt.text, p, err)
			}
		}
		unchanged(t, c)
	}
}

func TestServerMessage(t *testing.T) {
	for _, tt := range []struct {
		code, msg string
		params    []string
		want      string
	}{
		{"23505", `duplicate key value violates unique constraint "k"`, nil, `duplicate key value violates unique constraint "k" (SQLSTATE 23505)`},
		{"22P02", `invalid input syntax for type integer: "abc"`, nil, "SQLSTATE 22P02 (its message is withheld: it may quote a value)"},
		{"P0001", "row 5 holds abc", nil, "SQLSTATE P0001 (its message is withheld: it may quote a value)"},
		{"42804", `column "t" is of type integer but expression is of type text`, []string{"", "t"}, "SQLSTATE 42804 (its message is withheld: it may quote a value)"},
		{"42804", `column "t" is of type integer but expression is of type text`, []string{"", "zz"}, `column "t" is of type integer but expression is of type text (SQLSTATE 42804)`},
	} {
		if got := serverMessage(&pgconn.PgError{Code: tt.code, Message: tt.msg}, bytes(tt.params...)); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.code, tt.msg, got, tt.want)
		}
	}
}
