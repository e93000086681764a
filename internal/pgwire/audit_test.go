package pgwire_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/pgwire"
)

// startAudited starts a proxy that records into a fresh trail.
func startAudited(t *testing.T, relay pgwire.Relay) (*env, *audit.Trail, string) {
	t.Helper()
	return startAuditedWith(t, relay, audit.Options{})
}

// startAuditedWith is startAudited with trail options (Dir, Origin, Logger
// and CheckpointInterval are set here).
func startAuditedWith(t *testing.T, relay pgwire.Relay, opts audit.Options) (*env, *audit.Trail, string) {
	t.Helper()
	dir := t.TempDir()
	opts.Dir, opts.Origin, opts.CheckpointInterval = dir, "test.dbward/pgwire", 100*time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	trail, err := audit.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := startProxyWith(t, pgwire.Options{Relay: relay, Audit: trail}, nil)
	t.Cleanup(func() { trail.Close() })
	return e, trail, dir
}

// records reads the trail's records back, in order.
func records(t *testing.T, dir string) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := audit.Records(context.Background(), dir, 0, func(_ uint64, b []byte) error {
		var ev audit.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// statementsOf pairs each statement record of one identity (and one
// session) with the record that holds its outcome: the statement's own
// when the outcome was folded into it, or a separate one; nil when there
// is none. It fails the test when a statement has two outcomes.
func statementsOf(t *testing.T, evs []audit.Event, identity string) (stmts []audit.Event, outcomes map[uint64]*audit.Event) {
	t.Helper()
	outcomes = map[uint64]*audit.Event{}
	for i, ev := range evs {
		if ev.Identity.Name != identity {
			continue
		}
		if ev.Type == audit.TypeStatement {
			stmts = append(stmts, ev)
		}
		if ev.Type == audit.TypeOutcome || ev.Type == audit.TypeStatement && ev.Outcome != (audit.Outcome{}) {
			if outcomes[ev.StatementSeq] != nil {
				t.Errorf("statement %d has two outcomes: %+v and %+v", ev.StatementSeq, outcomes[ev.StatementSeq].Outcome, ev.Outcome)
			}
			outcomes[ev.StatementSeq] = &evs[i]
		}
	}
	return stmts, outcomes
}

// Every statement through dbward — simple, extended, several in one
// string, refused — has a record before it runs and its outcome after,
// with literals left out; logins and sessions are recorded too.
func TestAuditRecordsStatementsAndOutcomes(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { testAuditRecords(t, r.relay) })
	}
}

func testAuditRecords(t *testing.T, relay pgwire.Relay) {
	e, trail, dir := startAudited(t, relay)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	var name string
	if err := c.QueryRow(ctx, "SELECT name FROM customers WHERE id = 7", pgx.QueryExecModeSimpleProtocol).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "UPDATE customers SET email = $1 WHERE id = $2", "secret@example.com", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1); INSERT INTO scratch VALUES (2), (3)"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(ctx, "DROP TABLE orders")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Fatalf("DROP in prod: %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("division by zero succeeded")
	}
	c.Close(ctx)
	time.Sleep(100 * time.Millisecond) // the session-end record follows the close
	if _, err := pgx.Connect(ctx, e.url(bob, "wrong-token", "shop")); err == nil {
		t.Fatal("bad token accepted")
	}
	if err := trail.Close(); err != nil {
		t.Fatal(err)
	}

	evs := records(t, dir)
	stmts, outcomes := statementsOf(t, evs, bob)
	type row struct{ text, kind, action, rule, tag, sqlstate string }
	var got []row
	for _, s := range stmts {
		r := row{s.Statement.Text, s.Statement.Kind, s.Decision.Action, s.Decision.Rule, "", ""}
		if o := outcomes[s.StatementSeq]; o != nil {
			r.tag, r.sqlstate = o.Outcome.Tag, o.Outcome.SQLState
		}
		if s.Session == "" || s.Identity.Kind != "human" || s.Datastore != "shop" || s.Environment != "prod" || s.Client.Addr == "" {
			t.Errorf("statement record lacks who/where: %+v", s)
		}
		got = append(got, r)
	}
	// pgx's own setup queries may come first; compare the tail.
	want := []row{
		{"SELECT name FROM customers WHERE id = $1", "select", "allow", "", "SELECT 1", ""},
		{"UPDATE customers SET email = $1 WHERE id = $2", "update", "allow", "", "UPDATE 1", ""},
		{"INSERT INTO scratch VALUES ($1)", "insert", "allow", "", "INSERT 0 1", ""},
		{"INSERT INTO scratch VALUES ($1), ($2)", "insert", "allow", "", "INSERT 0 2", ""},
		{"DROP TABLE orders", "ddl", "deny", "no_drop", "", ""},
		{"SELECT $1/$2", "select", "allow", "", "", "22012"},
	}
	if len(got) < len(want) {
		t.Fatalf("statement records:\n%+v", got)
	}
	got = got[len(got)-len(want):]
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, ev := range evs {
		if strings.Contains(string(mustJSON(t, ev)), "secret@example.com") || strings.Contains(string(mustJSON(t, ev)), bobToken) {
			t.Fatalf("a literal or a token reached the trail: %+v", ev)
		}
	}
	var types []string
	for _, ev := range evs {
		if ev.Identity.Name == bob && ev.Type != audit.TypeStatement && ev.Type != audit.TypeOutcome {
			types = append(types, string(ev.Type))
		}
	}
	if g := strings.Join(types, " "); g != "auth.success session.start session.end auth.failure" {
		t.Errorf("login and session records: %s", g)
	}
	if _, err := audit.Verify(context.Background(), dir, audit.VerifyOptions{}); err != nil {
		t.Fatalf("the trail does not verify: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// When the trail cannot be written, statements are refused with 58030 and
// do not run; once it can be written again, they run.
func TestAuditUnavailableRefusesStatements(t *testing.T) {
	e, trail, dir := startAudited(t, pgwire.RelayLoop)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// Cap the size of files this process writes at the journal's size:
	// its next write fails in the kernel (EFBIG), as on a full disk, for
	// root too.
	segs, _ := filepath.Glob(filepath.Join(dir, "journal", "*"))
	var size int64
	for _, s := range segs {
		if fi, err := os.Stat(s); err == nil && fi.Size() > size {
			size = fi.Size()
		}
	}
	var old syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(size), Max: old.Max}); err != nil {
		t.Skipf("cannot cap file sizes: %v", err)
	}
	_, err := c.Exec(ctx, "INSERT INTO scratch VALUES (2)")
	syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "58030" || !strings.Contains(pe.Message, "audit unavailable") || pe.Hint == "" {
		t.Fatalf("write while the trail cannot be written: want 58030, got %v", err)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM scratch WHERE id = 2"); n != 0 {
		t.Fatal("the refused INSERT ran")
	}
	// The trail recovers by itself; the same session goes on.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = c.Exec(ctx, "INSERT INTO scratch VALUES (3)")
		if err == nil {
			break
		}
		if !errors.As(err, &pe) || pe.Code != "58030" || time.Now().After(deadline) {
			t.Fatalf("after the disk recovered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM scratch WHERE id = 3"); n != 1 {
		t.Fatalf("INSERT after recovery: %d rows", n)
	}
	_ = trail
}

// A statement that ends while its record still waits for the trail's
// writer — a fast read — has its outcome folded into that record: one
// record instead of two. A write's record is on disk before the write
// runs, so its outcome is a record of its own.
func TestAuditFoldsFastOutcomes(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { testAuditFolds(t, r.relay) })
	}
}

func testAuditFolds(t *testing.T, relay pgwire.Relay) {
	// Reads wait up to a second for the writer: every one here is fast.
	e, trail, dir := startAuditedWith(t, relay, audit.Options{AsyncDelay: time.Second})
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	var name string
	if err := c.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", 7).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("division by zero succeeded")
	}
	if out, errs, code := e.psql(t, alice, "shop", "-At", "-c", "SELECT count(*) FROM orders WHERE total > 100"); code != 0 || strings.TrimSpace(out) != "100" {
		t.Fatalf("psql: exit %d: %s%s", code, out, errs)
	}
	c.Close(ctx)
	if err := trail.Close(); err != nil {
		t.Fatal(err)
	}

	evs := records(t, dir)
	type row struct {
		text          string
		folded        bool // the statement record carries the outcome
		tag, sqlstate string
		rows          int64
	}
	var got []row
	for _, who := range []string{bob, alice} {
		stmts, outcomes := statementsOf(t, evs, who)
		for _, s := range stmts {
			r := row{text: s.Statement.Text}
			if o := outcomes[s.StatementSeq]; o != nil {
				r.folded = o.Type == audit.TypeStatement
				r.tag, r.sqlstate, r.rows = o.Outcome.Tag, o.Outcome.SQLState, o.Outcome.Rows
				if o.Outcome.Duration <= 0 {
					t.Errorf("%s: duration %v", s.Statement.Text, o.Outcome.Duration)
				}
			}
			got = append(got, r)
		}
	}
	want := []row{
		{"SELECT name FROM customers WHERE id = $1", true, "SELECT 1", "", 1},
		{"INSERT INTO scratch VALUES ($1)", false, "INSERT 0 1", "", 1},
		{"SELECT $1/$2", true, "", "22012", 0},
		{"SELECT count(*) FROM orders WHERE total > $1", true, "SELECT 1", "", 1},
	}
	if len(got) != len(want) {
		t.Fatalf("statement records:\n%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if _, err := audit.Verify(ctx, dir, audit.VerifyOptions{}); err != nil {
		t.Fatalf("the trail does not verify: %v", err)
	}
}
