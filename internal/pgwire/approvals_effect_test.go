package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/approval"
)

// A write that needs approval is previewed: approvers see the rows it
// would affect, with a sample, and nothing changes. When the approved
// statement runs, the rows it affects are checked against the preview: a
// different effect is rolled back.
func TestApprovalsPreviewAndEffectCheck(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) {
			ctx := context.Background()
			e, store, _, _ := startApprovals(t, r.relay)
			orders := func() int64 { return e.count(t, "shop_prod", "SELECT count(*) FROM orders") }
			direct := e.direct(t, "shop_prod")
			c := e.connect(t, agent, agentToken, "shop")
			simple := pgx.QueryExecModeSimpleProtocol

			ask := func(sql string, args ...any) *approval.Request {
				t.Helper()
				_, err := c.Exec(ctx, sql, args...)
				r, gerr := store.Get(ctx, waitsFor(t, err))
				if gerr != nil {
					t.Fatal(gerr)
				}
				if _, err := store.Vote(ctx, r.ID, dora, true, "", 0); err != nil {
					t.Fatal(err)
				}
				return r
			}
			rolledBack := func(err error, r *approval.Request, rows int) {
				t.Helper()
				var pe *pgconn.PgError
				want := fmt.Sprintf("dbward: the approved statement affected %d rows, but request %s approved %d: it was rolled back", rows, r.ID, r.Effect.Rows)
				if !errors.As(err, &pe) || pe.Code != "42501" || pe.Message != want || !strings.Contains(pe.Detail, r.Effect.Summary) {
					t.Fatalf("a changed effect: %v, want %q", err, want)
				}
			}

			// The preview: counted, sampled, rolled back.
			r := ask("DELETE FROM orders WHERE id <= 5", simple)
			if r.Effect == nil || r.Effect.Rows != 5 || r.Effect.Summary != "deletes 5 rows from public.orders" ||
				len(r.Effect.Before) != 5 || len(r.Effect.Columns) != 3 || r.Effect.MinRows != 5 || r.Effect.MaxRows != 5 {
				t.Fatalf("the preview: %+v (%s)", r.Effect, r.Preview)
			}
			if n := orders(); n != 200 {
				t.Fatalf("the preview left %d orders", n)
			}
			// Someone deletes one of them meanwhile: the approved delete
			// would affect 4 rows, not the 5 approved, and is rolled back.
			if _, err := direct.Exec(ctx, "DELETE FROM orders WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			_, err := c.Exec(ctx, "DELETE FROM orders WHERE id <= 5", simple)
			rolledBack(err, r, 4)
			if n := orders(); n != 199 {
				t.Fatalf("after the rolled-back delete: %d orders", n)
			}
			// The same effect runs.
			r = ask("DELETE FROM orders WHERE id BETWEEN 10 AND 12", simple)
			if tag, err := c.Exec(ctx, "DELETE FROM orders WHERE id BETWEEN 10 AND 12", simple); err != nil || tag.RowsAffected() != 3 {
				t.Fatalf("the approved delete: %v, %v", tag, err)
			}

			// The extended protocol, in a transaction block: the check's
			// rollback aborts the block, as a server error would.
			r = ask("DELETE FROM orders WHERE id = $1", 20)
			if r.Effect == nil || r.Effect.Rows != 1 {
				t.Fatalf("the preview of a bound delete: %+v (%s)", r.Effect, r.Preview)
			}
			if _, err := direct.Exec(ctx, "DELETE FROM orders WHERE id = 20"); err != nil {
				t.Fatal(err)
			}
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tx.Exec(ctx, "DELETE FROM orders WHERE id = $1", 20)
			rolledBack(err, r, 0)
			if _, err := tx.Exec(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "25P02") {
				t.Errorf("after the rollback the transaction is not aborted: %v", err)
			}
			tx.Rollback(ctx)
			r = ask("DELETE FROM orders WHERE id = $1", 21)
			if tag, err := c.Exec(ctx, "DELETE FROM orders WHERE id = $1", 21); err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("the approved bound delete: %v, %v", tag, err)
			}
			if n := orders(); n != 194 { // (1, 10-12, 20, 21)
				t.Fatalf("%d orders, want 194", n)
			}

			// Sensitive values never reach the sample.
			r = ask("DELETE FROM customers WHERE id = 7", simple)
			if r.Effect == nil || len(r.Effect.Before) != 1 {
				t.Fatalf("the preview of a customer's delete: %+v (%s)", r.Effect, r.Preview)
			}
			for i, col := range r.Effect.Columns {
				v := r.Effect.Before[0][i]
				if col == "email" && (v == nil || *v != "[masked]") {
					t.Errorf("the sample shows the email as %v", v)
				}
				if col == "name" && (v == nil || *v != "name 7") {
					t.Errorf("the sample shows the name as %v", v)
				}
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
