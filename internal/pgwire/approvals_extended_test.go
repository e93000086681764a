package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/pgwire"
)

// Through the extended protocol (pgx's default: prepared, described,
// parameters bound in binary), a statement that needs approval is settled
// at Execute, with its bound values: an approval is of the text, the
// parameter types and the values.
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

	// A named prepared statement, run under a window. (Its name is free
	// again after a Parse of it the server refused.)
	var pe *pgconn.PgError
	if _, err := c.Prepare(ctx, "del", "DELETE FROM nosuch WHERE id = $1"); !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Fatalf("prepare of a missing table: %v", err)
	}
	sd, err := c.Prepare(ctx, "del", del)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 20 && sd.ParamOIDs[0] != 23 {
		t.Errorf("the prepared delete's parameters: %v", sd.ParamOIDs)
	}
	if _, err := store.Vote(ctx, four, dora, true, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.Exec(ctx, "del", 4); err != nil {
			t.Fatalf("run %d of the prepared statement in the window: %v", i+1, err)
		}
	}
	// dbward's private statement is gone as soon as the approved Execute
	// has run: a statement later in the same batch cannot find it.
	batch := &pgx.Batch{}
	batch.Queue("del", 4)
	batch.Queue("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'dbward%'")
	br := c.SendBatch(ctx, batch)
	if _, err := br.Exec(); err != nil {
		t.Fatalf("the approved run in a batch: %v", err)
	}
	var privates int64
	if err := br.QueryRow().Scan(&privates); err != nil || privates != 0 {
		t.Fatalf("after the approved Execute the batch sees %d private statements (%v)", privates, err)
	}
	br.Close()
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
	if n := orders(); n != 198 { // (3 and 4)
		t.Fatalf("%d orders, want 198", n)
	}

	// The server holds no statement that waits for approval, under the
	// client's names or dbward's.
	var held int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement ILIKE '%delete%'", pgx.QueryExecModeSimpleProtocol).Scan(&held); err != nil || held != 0 {
		t.Fatalf("the session's server holds %d deletes (%v)", held, err)
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
	heldUpdate := func(total, id int) (string, chan error) {
		done := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, "UPDATE orders SET total = $1 WHERE id = $2", total, id)
			done <- err
		}()
		select {
		case n := <-notices:
			m := heldNotice.FindStringSubmatch(n)
			if m == nil {
				t.Fatalf("notice %q", n)
			}
			return m[1], done
		case err := <-done:
			t.Fatalf("the update ended without being held: %v", err)
		case <-time.After(15 * time.Second):
			t.Fatal("no notice that the update is held")
		}
		return "", nil
	}
	req, done := heldUpdate(5000, 9)
	if r, err := store.Get(ctx, req); err != nil || len(r.Statement.Params) != 2 || r.Mode != approval.Wait {
		t.Fatalf("the held update's request: %+v, %v", r, err)
	}
	if _, err := store.Vote(ctx, req, dora, true, "", 0); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, done); err != nil {
		t.Fatalf("the approved update: %v", err)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders WHERE id = 9 AND total = 5000"); n != 1 {
		t.Error("the approved update did not run")
	}
	// Denied: who and why.
	req, done = heldUpdate(6000, 9)
	if _, err := store.Vote(ctx, req, dora, false, "not today", 0); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, done); !errors.As(err, &pe) || pe.Code != "42501" || pe.Message != "dbward: denied by dora@example.com: request "+req+": not today" {
		t.Fatalf("the denied update: %v", err)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders WHERE id = 9 AND total = 6000"); n != 0 {
		t.Error("the denied update ran")
	}
	if err := b.Ping(ctx); err != nil {
		t.Errorf("the session after the denial: %v", err)
	}
}

// Attacks on the extended-protocol approvals, at the message level: none
// may run a statement that waits for approval without its approval, and
// each leaves the session usable.
func TestApprovalsExtendedCannotBeBypassed(t *testing.T) {
	e, _, _, _ := startApprovals(t, pgwire.RelayLoop)
	const del = "DELETE FROM orders WHERE id > 0 RETURNING id"
	bind := func(portal, stmt string) *pgproto3.Bind {
		return &pgproto3.Bind{DestinationPortal: portal, PreparedStatement: stmt}
	}
	for _, tt := range []struct {
		name    string
		readies int
		msgs    []pgproto3.FrontendMessage
		want    []string // SQLSTATEs the client gets, in order
	}{
		{"refused Execute, then the portal moved in SQL", 4, []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "BEGIN"},
			&pgproto3.Parse{Name: "d", Query: del}, bind("p", "d"), &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{},
			&pgproto3.Query{String: `MOVE ALL IN "p"`},
			&pgproto3.Query{String: "ROLLBACK"}}, []string{"42501", "25P02"}},
		{"a portal bound but not executed, then run in SQL", 4, []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "BEGIN"},
			&pgproto3.Parse{Name: "d", Query: del}, bind("p", "d"), &pgproto3.Sync{},
			&pgproto3.Query{String: `FETCH ALL IN "p"`},
			&pgproto3.Query{String: "COMMIT"}}, []string{"0A000", "25P02"}},
		{"the portal run in SQL between its Bind and Execute", 3, []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "BEGIN"},
			&pgproto3.Parse{Name: "d", Query: del}, bind("p", "d"), &pgproto3.Query{String: `FETCH ALL IN "p"`}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{},
			&pgproto3.Query{String: "COMMIT"}}, []string{"0A000"}},
		{"the prepared statement named in SQL", 2, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "d", Query: del}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXECUTE d"}}, []string{"42501"}}, // (unknown to dbward: the most dangerous)
		{"dbward's own names, in messages and in SQL", 4, []pgproto3.FrontendMessage{
			bind("", "dbward_approved_0123456789abcdef01234567"), &pgproto3.Execute{}, &pgproto3.Sync{},
			&pgproto3.Describe{ObjectType: 'S', Name: "dbward_approved_x"}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXECUTE dbward_approved_0123456789abcdef01234567"},
			&pgproto3.Query{String: "DEALLOCATE dbward_approved_x"}}, []string{"26000", "26000", "26000", "26000"}},
		{"a second Parse of the name", 2, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "d", Query: del}, &pgproto3.Sync{},
			&pgproto3.Parse{Name: "d", Query: "SELECT 1"}, bind("", "d"), &pgproto3.Execute{}, &pgproto3.Sync{}}, []string{"42P05"}},
		{"a malformed Bind", 1, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "d", Query: "DELETE FROM orders WHERE id = $1"},
			&pgproto3.Bind{PreparedStatement: "d", ParameterFormatCodes: []int16{0, 0}, Parameters: [][]byte{[]byte("1")}},
			&pgproto3.Execute{}, &pgproto3.Sync{}}, []string{"08P01"}},
		{"ended by Flush", 1, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "d", Query: del}, bind("", "d"), &pgproto3.Execute{}, &pgproto3.Flush{},
			&pgproto3.Execute{}, &pgproto3.Sync{}}, []string{"42501"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msgs := append(tt.msgs, &pgproto3.Query{String: "SELECT count(*) FROM pg_prepared_statements WHERE statement ILIKE '%delete%'"})
			got := e.exchange(t, tt.readies+1, msgs...)
			codes, last := backendErrors(t, got)
			if strings.Join(codes, " ") != strings.Join(tt.want, " ") {
				t.Errorf("errors %v, want %v", codes, tt.want)
			}
			if last != "0" {
				t.Errorf("the server holds %s deletes afterwards", last)
			}
			if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); n != 200 {
				t.Fatalf("a statement waiting for approval ran: %d orders left", n)
			}
		})
	}
}

// backendErrors reads the SQLSTATEs of the ErrorResponses in a backend
// stream, and the last DataRow's first value.
func backendErrors(t *testing.T, raw []byte) (codes []string, last string) {
	t.Helper()
	fe := pgproto3.NewFrontend(bytes.NewReader(raw), nil)
	for {
		m, err := fe.Receive()
		if err != nil {
			return codes, last
		}
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			codes = append(codes, m.Code)
			if strings.Contains(m.Message, "dbward_approved_") && m.Code != "26000" {
				t.Errorf("an error names a private statement: %s", m.Message)
			}
		case *pgproto3.DataRow:
			if len(m.Values) > 0 {
				last = string(m.Values[0])
			}
		}
	}
}

// An approved portal runs its statement once, however many Executes of it
// follow in the batch: the server refuses to run a finished portal again
// (55000), which fails the batch as it would on a direct connection.
func TestApprovalsExtendedPortalRunsOnce(t *testing.T) {
	ctx := context.Background()
	e, store, _, _ := startApprovals(t, pgwire.RelayLoop)
	const first = "DELETE FROM orders WHERE id IN (SELECT min(id) FROM orders)"
	msgs := []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "d", Query: first},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "d"},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}}
	got := e.exchange(t, 1, msgs...)
	id := requestID.FindSubmatch(got)
	if id == nil {
		t.Fatalf("no request in %q", got)
	}
	if _, err := store.Vote(ctx, string(id[1]), dora, true, "", 0); err != nil {
		t.Fatal(err)
	}
	got = e.exchange(t, 1, msgs...)
	if codes, _ := backendErrors(t, got); bytes.Count(got, []byte("DELETE 1\x00")) != 1 || len(codes) != 1 || codes[0] != "55000" {
		t.Fatalf("the approved portal executed twice: %q", got)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); n != 200 {
		t.Fatalf("the failed batch left %d orders", n)
	}
}
