package preview

import "testing"

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		e    Effect
		want string
	}{
		{Effect{Command: "DELETE", Table: "public.orders", Rows: 1204}, "deletes 1,204 rows from public.orders"},
		{Effect{Command: "DELETE", Table: "public.orders", Rows: 0}, "deletes 0 rows from public.orders"},
		{Effect{Command: "INSERT", Table: "s.t", Rows: 1}, "inserts 1 row into s.t"},
		{Effect{Command: "UPDATE", Table: "s.t", Rows: 1234567}, "updates 1,234,567 rows in s.t"},
		{Effect{Command: "MERGE", Table: "s.t", Rows: 999}, "merges 999 rows into s.t"},
		{Effect{Command: "MERGE", Table: "s.t", Rows: 100000}, "merges 100,000 rows into s.t"},
	} {
		if got := tt.e.Summary(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}
