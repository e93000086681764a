package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A denial inside a transaction block leaves it aborted exactly as a server
// error would: later statements fail with 25P02 and COMMIT rolls back.
func TestDenialAbortsTransaction(t *testing.T) { eachRelay(t, testDenialAbortsTransaction) }

func testDenialAbortsTransaction(t *testing.T, e *env) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			resetDB(t, e.pg, "shop_prod")
			ctx := context.Background()
			c := e.connect(t, bob, bobToken, "shop")
			mustExec(t, c, "BEGIN", mode)
			mustExec(t, c, "INSERT INTO scratch VALUES (1)", mode)
			_, err := c.Exec(ctx, "DROP TABLE scratch", mode)
			expectRule(t, err, "no_drop")
			if got := c.PgConn().TxStatus(); got != 'E' {
				t.Fatalf("transaction status after denial = %q, want 'E'", got)
			}
			_, err = c.Exec(ctx, "SELECT 1", mode)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "25P02" {
				t.Fatalf("statement in aborted transaction: want 25P02, got %v", err)
			}
			tag, err := c.Exec(ctx, "COMMIT", mode)
			if err != nil || tag.String() != "ROLLBACK" {
				t.Fatalf("COMMIT of aborted transaction: tag %q err %v, want ROLLBACK", tag, err)
			}
			if n := e.count(t, "shop_prod", "SELECT count(*) FROM scratch"); n != 0 {
				t.Fatalf("insert survived the aborted transaction: %d rows", n)
			}
			// Outside a transaction nothing is left behind.
			_, err = c.Exec(ctx, "DROP TABLE scratch", mode)
			expectRule(t, err, "no_drop")
			if got := c.PgConn().TxStatus(); got != 'I' {
				t.Fatalf("status after denial outside a transaction = %q, want 'I'", got)
			}
		})
	}
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// A pipeline (one Sync) with a denied statement in the middle behaves as if
// the server had raised the error there: earlier results arrive, later
// statements are skipped.
func TestPipelineWithDenial(t *testing.T) { eachRelay(t, testPipelineWithDenial) }

func testPipelineWithDenial(t *testing.T, e *env) {
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	batch := func() *pgx.Batch {
		b := &pgx.Batch{}
		b.Queue("INSERT INTO scratch VALUES (1)")
		b.Queue("SELECT count(*) FROM scratch")
		b.Queue("TRUNCATE orders")
		b.Queue("INSERT INTO scratch VALUES (2)")
		return b
	}
	// pgx's default mode prepares every statement of a batch first: the
	// denial then fails the whole batch at Parse, before anything runs.
	err := c.SendBatch(ctx, batch()).Close()
	expectRule(t, err, "no_truncate")
	if got := e.count(t, "shop_prod", "SELECT count(*) FROM scratch"); got != 0 {
		t.Fatalf("scratch has %d rows after a batch refused at prepare", got)
	}
	// In exec mode the statements go Parse/Bind/Execute one after another in
	// one pipeline: the error arrives in the third position.
	cfg, err := pgx.ParseConfig(e.url(bob, bobToken, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	ce, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ce.Close(ctx)
	br := ce.SendBatch(ctx, batch())
	if _, err := br.Exec(); err != nil {
		t.Fatalf("first: %v", err)
	}
	var n int
	if err := br.QueryRow().Scan(&n); err != nil || n != 1 {
		t.Fatalf("second: n=%d err=%v", n, err)
	}
	_, err = br.Exec()
	expectRule(t, err, "no_truncate")
	if _, err := br.Exec(); err == nil {
		t.Fatal("statement after the denial in the same pipeline ran")
	}
	br.Close()
	// The batch is one implicit transaction: the denial rolled back the first insert too.
	if got := e.count(t, "shop_prod", "SELECT count(*) FROM scratch"); got != 0 {
		t.Fatalf("scratch has %d rows; the failed pipeline should have rolled back", got)
	}
	if got := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); got != 200 {
		t.Fatalf("orders = %d: TRUNCATE ran", got)
	}
	// Named prepared statements, Describe and portals keep working.
	for i := 0; i < 3; i++ {
		var name string
		if err := c.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", i+1).Scan(&name); err != nil || name != fmt.Sprintf("name %d", i+1) {
			t.Fatalf("prepared query: %q %v", name, err)
		}
	}
}

func TestCopyThroughProxy(t *testing.T) { eachRelay(t, testCopyThroughProxy) }

func testCopyThroughProxy(t *testing.T, e *env) {
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	src := [][]any{}
	for i := 0; i < 5000; i++ {
		src = append(src, []any{int32(i)})
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"scratch"}, []string{"id"}, pgx.CopyFromRows(src))
	if err != nil || n != 5000 {
		t.Fatalf("COPY FROM: n=%d err=%v", n, err)
	}
	var buf bytes.Buffer
	tag, err := c.PgConn().CopyTo(ctx, &buf, "COPY (SELECT id FROM scratch ORDER BY id LIMIT 3) TO STDOUT")
	if err != nil || tag.RowsAffected() != 3 || buf.String() != "0\n1\n2\n" {
		t.Fatalf("COPY TO: %q %v %q", tag, err, buf.String())
	}
	// COPY FROM STDIN text format, and a COPY that fails mid-way.
	tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("7\n8\n"), "COPY scratch FROM STDIN")
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("COPY FROM STDIN: %v %v", tag, err)
	}
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("x\n"), "COPY scratch FROM STDIN")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P02" {
		t.Fatalf("bad COPY data: want 22P02 from the server, got %v", err)
	}
	if got := e.count(t, "shop_prod", "SELECT count(*) FROM scratch"); got != 5002 {
		t.Fatalf("scratch has %d rows, want 5002", got)
	}
}

func TestNoticesAndNotifications(t *testing.T) { eachRelay(t, testNoticesAndNotifications) }

func testNoticesAndNotifications(t *testing.T, e *env) {
	ctx := context.Background()
	var mu sync.Mutex
	var notices []string
	cfg, err := pgx.ParseConfig(e.url(alice, aliceToken, "shopdev"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n.Message)
		mu.Unlock()
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	mustExec(t, c, "DO $$BEGIN RAISE NOTICE 'hello from plpgsql'; END$$")
	mu.Lock()
	if len(notices) != 1 || notices[0] != "hello from plpgsql" {
		t.Errorf("notices = %q", notices)
	}
	mu.Unlock()

	listener := e.connect(t, alice, aliceToken, "shopdev")
	mustExec(t, listener, "LISTEN orders_changed")
	mustExec(t, c, "NOTIFY orders_changed, 'order 42'")
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(wctx)
	if err != nil || n.Channel != "orders_changed" || n.Payload != "order 42" {
		t.Fatalf("notification: %+v %v", n, err)
	}
	// ParameterStatus changes reach the client.
	mustExec(t, c, "SET application_name = 'renamed'")
	if got := c.PgConn().ParameterStatus("application_name"); got != "renamed" {
		t.Errorf("application_name parameter status = %q", got)
	}
}

func TestCancel(t *testing.T) { eachRelay(t, testCancel) }

func testCancel(t *testing.T, e *env) {
	c := e.connect(t, bob, bobToken, "shop")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, "SELECT pg_sleep(20)")
	if err == nil {
		t.Fatal("pg_sleep was not cancelled")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	// pgx closes the connection after a context cancel; check the server
	// side saw a cancel (57014) by cancelling with the raw protocol instead.
	pc, err := pgconn.Connect(context.Background(), e.url(bob, bobToken, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		pc.CancelRequest(context.Background())
	}()
	_, err = pc.Exec(context.Background(), "SELECT pg_sleep(20)").ReadAll()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("want 57014 query_canceled, got %v", err)
	}
	if _, err := pc.Exec(context.Background(), "SELECT 1").ReadAll(); err != nil {
		t.Fatalf("session unusable after cancel: %v", err)
	}
}

func TestConcurrentSessions(t *testing.T) { eachRelay(t, testConcurrentSessions) }

func testConcurrentSessions(t *testing.T, e *env) {
	const n = 200
	ctx := context.Background()
	conns := make([]*pgx.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who, tok := bob, bobToken
			if i%2 == 0 {
				who, tok = agent, agentToken
			}
			c, err := pgx.Connect(ctx, e.url(who, tok, "shop"))
			if err != nil {
				errs <- fmt.Errorf("session %d: %w", i, err)
				return
			}
			conns[i] = c
			var got int
			if err := c.QueryRow(ctx, "SELECT $1::int + 1", i).Scan(&got); err != nil || got != i+1 {
				errs <- fmt.Errorf("session %d: got %d, %v", i, got, err)
			}
			if _, err := c.Exec(ctx, "DROP TABLE scratch"); err == nil {
				errs <- fmt.Errorf("session %d: DROP allowed", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range conns {
		if c != nil {
			c.Close(ctx)
		}
	}
}

// Stopping dbward ends open sessions with FATAL 57P01, as a server
// shutting down does.
func TestShutdownTellsClients(t *testing.T) { eachRelay(t, testShutdownTellsClients) }

func testShutdownTellsClients(t *testing.T, e *env) {
	ctx := context.Background()
	conns := []*pgx.Conn{e.connect(t, bob, bobToken, "shop"), e.connect(t, alice, aliceToken, "shopdev")}
	e.stop()
	for _, c := range conns {
		_, err := c.Exec(ctx, "SELECT 1")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" {
			t.Fatalf("after shutdown: want FATAL 57P01, got %v", err)
		}
	}
}
