package pgwire_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/pgwire"
)

// Through the extended protocol (pgx's default: prepared, described,
// parameters bound in binary), a statement that needs approval is settled
// at Execute, with its bound values: an approval is of the text and the
// values.
func TestApprovalsExtendedProtocol(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { testApprovalsExtendedProtocol(t, r.relay) })
	}
}

func testApprovalsExtendedProtocol(t *testing.T, relay pgwire.Relay) {
	ctx := context.Background()
	e, store, _, _ := startApprovals(t, relay)
	orders := func() int64 { return e.count(t, "shop_prod", "SELECT count(*) FROM orders") }
	const del = "DELETE FROM orders WHERE id = $1"

	// Defer mode (the agent): refused with a request holding the values.
	c := e.connect(t, agent, agentToken, "shop")
	_, err := c.Exec(ctx, del, 3)
	id := waitsFor(t, err)
	r, err := store.Get(ctx, id)
	if err != nil || r.Statement.Text != del || len(r.Statement.Params) != 1 || r.Statement.Params[0].Null {
		t.Fatalf("the request: %+v, %v", r.Statement, err)
	}
	if _, err := c.Exec(ctx, del, 3); waitsFor(t, err) != id {
		t.Error("the same statement with the same value asked again")
	}
	_, err = c.Exec(ctx, del, 4)
	four := waitsFor(t, err)
	if four == id {
		t.Fatal("a different value shares the request")
	}
	if _, err := store.Vote(ctx, id, dora, true, "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, del, 4); waitsFor(t, err) != four {
		t.Error("approving the delete of 3 let the delete of 4 through")
	}
	if tag, err := c.Exec(ctx, del, 3); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("the approved delete: %v, %v", tag, err)
	}
	if _, err := c.Exec(ctx, del, 3); err == nil || waitsFor(t, err) == id {
		t.Error("a one-time approval ran twice")
	}

	// A named prepared statement, run under a window.
	if _, err := c.Prepare(ctx, "del", del); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Vote(ctx, four, dora, true, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.Exec(ctx, "del", 4); err != nil {
			t.Fatalf("run %d of the prepared statement in the window: %v", i+1, err)
		}
	}
	// The unnamed statement, parsed again for each run, values in text
	// (QueryExecModeExec). (The values are compared as sent: 4 in text is
	// not 4 in binary, and asks again.)
	var ids []string
	for _, v := range []int{4, 5, 4} {
		_, err := c.Exec(ctx, del, pgx.QueryExecModeExec, v)
		ids = append(ids, waitsFor(t, err))
	}
	if ids[0] == four || ids[0] == ids[1] || ids[2] != ids[0] {
		t.Errorf("requests of the unnamed statement: %v (the binary 4's: %s)", ids, four)
	}
	if n := orders(); n != 198 {
		t.Fatalf("%d orders, want 198", n)
	}

	// The statement is on the server under a name only dbward knows: the
	// client's name for it runs nothing there.
	var names []string
	rows, _ := c.Query(ctx, "SELECT name FROM pg_prepared_statements ORDER BY name", pgx.QueryExecModeSimpleProtocol)
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	// ("del" and the last unnamed one: each unnamed Parse closes the
	// private statement of the one before, and pgx closes its cached
	// statement after an error, a Close renamed on its way.)
	if err != nil || len(names) != 2 {
		t.Fatalf("the session's prepared deletes: %v, %v", names, err)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "dbward_") || len(n) != len("dbward_")+24 {
			t.Errorf("a statement that waits for approval is on the server as %q", n)
		}
	}

	// In a transaction, the refusal aborts it as a server error would.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, del, 8)
	waitsFor(t, err)
	if _, err := tx.Exec(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "25P02") {
		t.Errorf("after the refusal the transaction is not aborted: %v", err)
	}
	tx.Rollback(ctx)

	// Wait mode (a person): held at Execute, then run once approved.
	notices := make(chan string, 4)
	cfg, err := pgx.ParseConfig(e.url(bob, bobToken, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices <- n.Message }
	b, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "UPDATE orders SET total = $1 WHERE id = $2", 5000, 9)
		done <- err
	}()
	var held string
	select {
	case n := <-notices:
		m := heldNotice.FindStringSubmatch(n)
		if m == nil {
			t.Fatalf("notice %q", n)
		}
		held = m[1]
	case err := <-done:
		t.Fatalf("the update ended without being held: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no notice that the update is held")
	}
	if r, err := store.Get(ctx, held); err != nil || len(r.Statement.Params) != 2 || r.Mode != approval.Wait {
		t.Fatalf("the held update's request: %+v, %v", r, err)
	}
	if _, err := store.Vote(ctx, held, dora, true, "", 0); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the approved update: %v", err)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders WHERE id = 9 AND total = 5000"); n != 1 {
		t.Error("the approved update did not run")
	}
}
