package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/console"
	"github.com/dbward/dbward/internal/pgwire"
)

const approvalPolicy = `package dbward

rules["agent_deletes_need_a_dba"] := {
	"action": "approve",
	"reason": "an agent's deletes in prod need a DBA",
	"approvals": {"count": 1, "required_groups": ["dba"], "expires": "2h"},
} if {
	input.identity.kind == "agent"
	input.datastore.environment == "prod"
	input.statement.kind == "delete"
}

# People's updates of orders in prod are held (wait mode, the default for
# people) until a DBA approves; of customers, for two seconds at most.
rules["people_updates_need_a_dba"] := {
	"action": "approve",
	"reason": "updates in prod need a DBA",
	"approvals": {"count": 1, "required_groups": ["dba"], "expires": expires},
} if {
	input.identity.kind == "human"
	input.datastore.environment == "prod"
	input.statement.kind == "update"
	some t in input.statement.tables
	expires := {"orders": "1h", "customers": "2s"}[t.name]
}
`

var requestID = regexp.MustCompile(`request (R-[0-9A-Z]{4}) needs`)

// waitsFor checks that err is the refusal of a statement waiting for
// approval, and returns the request's id.
func waitsFor(t *testing.T, err error) string {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Fatalf("want a 42501 approval refusal, got %v", err)
	}
	m := requestID.FindStringSubmatch(pe.Message)
	if m == nil || !strings.HasPrefix(pe.Message, "dbward: approval required by agent_deletes_need_a_dba: an agent's deletes in prod need a DBA — request ") ||
		!strings.HasSuffix(pe.Message, "needs 1 approval (dba)") ||
		!strings.Contains(pe.Hint, "dbward approvals approve "+m[1]) || !strings.Contains(pe.Detail, "waits for a decision until") {
		t.Fatalf("approval refusal reads %q (detail %q, hint %q)", pe.Message, pe.Detail, pe.Hint)
	}
	return m[1]
}

func TestApprovalsDeferMode(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { testApprovalsDeferMode(t, r.relay) })
	}
}

// startApprovals starts an audited proxy with approvalPolicy and an
// approvals store (closed at cleanup); the trail is in auditDir.
func startApprovals(t *testing.T, relay pgwire.Relay) (e *env, store *approval.Store, trail *audit.Trail, auditDir string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "approvals.rego"), []byte(approvalPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := approval.Open(context.Background(), filepath.Join(t.TempDir(), "approvals.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	auditDir = t.TempDir()
	trail, err = audit.Open(context.Background(), audit.Options{Dir: auditDir, Origin: "test.dbward/approvals",
		CheckpointInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trail.Close() })
	store.OnChange(console.RecordRequests(trail, slog.New(slog.NewTextHandler(io.Discard, nil))))
	e = startProxyWith(t, pgwire.Options{Approvals: store, Relay: relay, Audit: trail}, func(c *config.Config) { c.Policy.Paths = []string{dir} })
	resetDB(t, e.pg, "shop_prod")
	return e, store, trail, auditDir
}

func testApprovalsDeferMode(t *testing.T, relay pgwire.Relay) {
	ctx := context.Background()
	e, store, trail, auditDir := startApprovals(t, relay)
	orders := func() int64 { return e.count(t, "shop_prod", "SELECT count(*) FROM orders") }
	dora := approval.Person{Name: "dora@example.com", Kind: "human", Groups: []string{"dba"}}

	// The request is for the exact text, created when the Query arrives.
	c := e.connect(t, agent, agentToken, "shop")
	simple := pgx.QueryExecModeSimpleProtocol
	del := func(id int) string { return fmt.Sprintf("DELETE FROM orders WHERE id = %d", id) }
	_, err := c.Exec(ctx, del(3), simple)
	id := waitsFor(t, err)
	if n := orders(); n != 200 {
		t.Fatalf("the delete ran before approval: %d orders", n)
	}
	_, err = c.Exec(ctx, del(3), simple)
	if again := waitsFor(t, err); again != id {
		t.Errorf("sending the statement again asked again: %s, then %s", id, again)
	}
	_, err = c.Exec(ctx, del(4), simple)
	other := waitsFor(t, err)
	if other == id {
		t.Fatal("another statement shares the request")
	}
	r, err := store.Get(ctx, id)
	if err != nil || r.State != approval.Pending || r.Requester.Name != agent || r.Datastore != "shop" || r.Environment != "prod" ||
		r.Statement.Text != del(3) || r.Rule != "agent_deletes_need_a_dba" ||
		r.Quorum.Count != 1 || len(r.Quorum.RequiredGroups) != 1 || r.Mode != approval.Defer {
		t.Fatalf("stored request: %+v, %v", r, err)
	}
	if d := time.Until(r.ExpiresAt); d < 110*time.Minute || d > 2*time.Hour {
		t.Errorf("the request expires in %v, the policy said 2h", d)
	}

	// The agent's owner does not count; a DBA does.
	if _, err := store.Vote(ctx, id, approval.Person{Name: alice, Kind: "human", Groups: []string{"dba"}}, true, "", 0); !errors.Is(err, approval.ErrOwner) {
		t.Fatalf("owner's approval: %v", err)
	}
	if r, err := store.Vote(ctx, id, dora, true, "checked the order", 0); err != nil || r.State != approval.Approved {
		t.Fatalf("dba's approval: %v, %v", r, err)
	}

	// Other statements are still not approved; the approved one runs once.
	_, err = c.Exec(ctx, del(4), simple)
	if waitsFor(t, err) != other {
		t.Fatal("the pending request of the other statement changed")
	}
	tag, err := c.Exec(ctx, del(3), simple)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("approved delete: %v, %v", tag, err)
	}
	if n := orders(); n != 199 {
		t.Fatalf("after the approved delete: %d orders", n)
	}
	if r, _ := store.Get(ctx, id); r.State != approval.Used || r.Uses != 1 {
		t.Errorf("after its run the request is %s with %d uses", r.State, r.Uses)
	}
	_, err = c.Exec(ctx, del(3), simple)
	if waitsFor(t, err) == id {
		t.Error("a used one-time grant was asked about again instead of a new request")
	}

	// Simple protocol, in a transaction block: the refusal aborts the
	// transaction as a server error would.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "DELETE FROM orders WHERE id = 10", simple)
	windowed := waitsFor(t, err)
	if _, err := tx.Exec(ctx, "SELECT 1", simple); err == nil || !strings.Contains(err.Error(), "25P02") {
		t.Errorf("after the refusal the transaction is not aborted: %v", err)
	}
	tx.Rollback(ctx)

	// A grant window lets the statement run again and again: psql, twice.
	if r, err := store.Vote(ctx, windowed, dora, true, "", time.Hour); err != nil || r.State != approval.Approved || r.GrantUntil.IsZero() {
		t.Fatalf("approval with a window: %v, %v", r, err)
	}
	for i := range 2 {
		out, errOut, code := e.psql(t, agent, "shop", "-c", "DELETE FROM orders WHERE id = 10")
		if code != 0 || errOut != "" {
			t.Fatalf("psql run %d under the grant: exit %d: %s%s", i+1, code, out, errOut)
		}
	}
	if r, _ := store.Get(ctx, windowed); r.State != approval.Approved || r.Uses != 2 {
		t.Errorf("after two runs in the window: %s, %d uses", r.State, r.Uses)
	}
	if n := orders(); n != 198 {
		t.Errorf("after the windowed deletes: %d orders", n)
	}

	// People's deletes are not held; the agent's reads are not either.
	b := e.connect(t, bob, bobToken, "shop")
	if _, err := b.Exec(ctx, "DELETE FROM orders WHERE id = 20"); err != nil {
		t.Errorf("bob's delete: %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT count(*) FROM orders"); err != nil {
		t.Errorf("agent's read: %v", err)
	}

	// The trail says which request each statement waited for or ran under.
	e.stop()
	trail.Close()
	var waited, ran int
	for _, ev := range records(t, auditDir) {
		if ev.Type != audit.TypeStatement || ev.Approval.Request != id {
			continue
		}
		switch {
		case ev.Decision.Action == "approve" && ev.Approval.State == "pending" && strings.HasSuffix(ev.Decision.Reason, "(request "+id+")"):
			waited++
		case ev.Decision.Action == "allow" && ev.Approval.State == "used" && ev.Decision.Reason == "approved in "+id+" by dora@example.com; its preview deletes 1 row from public.orders":
			ran++
		default:
			t.Errorf("record of %s: %+v", id, ev)
		}
	}
	if waited != 2 || ran != 1 {
		t.Errorf("the trail has %d records of waiting for %s and %d of running under it, want 2 and 1", waited, id, ran)
	}
}

func TestApprovalsStoreUnavailableRefuses(t *testing.T) {
	ctx := context.Background()
	e, store, _, _ := startApprovals(t, pgwire.RelayLoop)
	store.Close() // every later call fails
	c := e.connect(t, agent, agentToken, "shop")
	_, err := c.Exec(ctx, "DELETE FROM orders WHERE id = 3")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "XX000" || pe.Message != "dbward: cannot check approvals: the approvals store is unavailable" {
		t.Fatalf("with the store down: %v", err)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); n != 200 {
		t.Fatalf("the delete ran: %d orders", n)
	}
}

// Attacks from review: make dbward's view of the session's prepared
// statements go stale (a Close or Parse the server skips after an error, a
// DEALLOCATE that never ran), then run a statement that waits for approval
// under a name dbward thinks is harmless. None may run it: the server never
// holds such a statement under the client's name.
func TestApprovalsCannotBeBypassedByStaleNames(t *testing.T) {
	e, _, _, _ := startApprovals(t, pgwire.RelayLoop)
	const del = "DELETE FROM orders WHERE id > 0"
	for _, tt := range []struct {
		name    string
		readies int
		msgs    []pgproto3.FrontendMessage
	}{
		{"close and parse skipped after an error", 3, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "s1", Query: del}, &pgproto3.Sync{},
			&pgproto3.Bind{DestinationPortal: "x", PreparedStatement: "nope"}, &pgproto3.Close{ObjectType: 'S', Name: "s1"},
			&pgproto3.Parse{Name: "s1", Query: "SELECT 1"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"a DEALLOCATE that never ran", 4, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "s1", Query: del}, &pgproto3.Sync{},
			&pgproto3.Query{String: "SELECT 1/0; DEALLOCATE s1"},
			&pgproto3.Parse{Name: "s1", Query: "SELECT 1"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"unnamed statement replaced by a skipped Parse", 3, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: del}, &pgproto3.Sync{},
			&pgproto3.Bind{DestinationPortal: "x", PreparedStatement: "nope"}, &pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Sync{},
			&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"SQL EXECUTE of a protocol statement", 2, []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "s2", Query: del}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXECUTE s2"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.exchange(t, tt.readies, tt.msgs...)
			if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); n != 200 {
				t.Fatalf("a statement waiting for approval ran: %d orders left", n)
			}
		})
	}
}
