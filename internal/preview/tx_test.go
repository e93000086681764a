package preview

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/pgtest"
)

// slow runs 12 s (10 ms a row) unless stopped; its before read too.
const slow = "UPDATE orders SET total = total WHERE pg_sleep(0.01) IS NOT NULL"

func TestRunTimesOut(t *testing.T) {
	c := connect(t)
	pg := pgtest.Shared(t)
	holder := dial(t, pg.SuperUser, pg.SuperPassword)
	ctx := context.Background()
	if _, err := holder.Exec(ctx, "BEGIN; LOCK orders IN ACCESS EXCLUSIVE MODE").ReadAll(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		text string
		opts Options
		want string
	}{
		{"under a lock", "DELETE FROM orders WHERE id = 1", Options{LockTimeout: 200 * time.Millisecond}, "waited longer than 200ms for a lock: canceling statement due to lock timeout"},
		{"under a lock, by default", "DELETE FROM orders WHERE id = 1", Options{}, "waited longer than 1s for a lock"},
		{"slow", slow, Options{StatementTimeout: 300 * time.Millisecond}, "timed out after 300ms: canceling statement due to statement timeout"},
		// (in milliseconds 0, which would turn the timeout off)
		{"slow, under a millisecond", slow, Options{StatementTimeout: 500 * time.Microsecond}, "timed out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text == slow {
				holder.Exec(ctx, "ROLLBACK").ReadAll()
			}
			start := time.Now()
			_, err := Run(ctx, c, tt.text, nil, nil, nil, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v, want an error saying %q", err, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			if c.TxStatus() != 'I' {
				t.Fatal("a transaction is left open")
			}
		})
	}
	unchanged(t, c)
}

// TestRunCanceled: a ctx that ends mid-statement ends the dry run at once;
// pgconn closes the connection, which rolls the transaction back, and
// cancels the statement on the server, so that it holds no locks on.
func TestRunCanceled(t *testing.T) {
	c := connect(t)
	pg := pgtest.Shared(t)
	watcher := dial(t, pg.SuperUser, pg.SuperPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, c, slow, nil, nil, nil, Options{StatementTimeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection was closed") {
		t.Fatalf("%v, want the deadline and the connection closed", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if !c.IsClosed() {
		t.Error("the connection is open")
	}
	for {
		r, err := watcher.Exec(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.01)%' AND pid <> pg_backend_pid()").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if string(r[0].Rows[0][0]) == "0" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the statement still runs on the server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	unchanged(t, watcher)
}

// TestRunNeedsAnIdleConnection: a transaction open on the connection is
// left alone, not rolled back with the dry run.
func TestRunNeedsAnIdleConnection(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "BEGIN; INSERT INTO archive VALUES (1)").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, c, "DELETE FROM orders", nil, nil, nil, Options{}); err == nil || !strings.Contains(err.Error(), "idle connection") {
		t.Fatalf("in a transaction: %v", err)
	}
	if c.TxStatus() != 'T' {
		t.Fatalf("the caller's transaction was ended: %c", c.TxStatus())
	}
	if _, err := c.Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	if _, err := Run(ctx, c, "DELETE FROM orders", nil, nil, nil, Options{}); err == nil {
		t.Fatal("ran on a closed connection")
	}
}

// TestRunLeavesTheSessionAsItWas: the timeouts are the transaction's
// alone (SET LOCAL).
func TestRunLeavesTheSessionAsItWas(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	if _, err := Run(ctx, c, "DELETE FROM orders", nil, nil, nil, Options{StatementTimeout: 1234 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Exec(ctx, "SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') || ' ' || current_setting('idle_in_transaction_session_timeout')").ReadAll()
	if err != nil || string(r[0].Rows[0][0]) != "0 0 0" {
		t.Fatalf("settings after the dry run: %s, %v", r[0].Rows, err)
	}
	unchanged(t, c)
}

func TestMillis(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{
		{time.Nanosecond, 1},
		{500 * time.Microsecond, 1},
		{time.Millisecond, 1},
		{1001 * time.Microsecond, 2},
		{5 * time.Second, 5000},
	} {
		if got := millis(tt.d); got != tt.want {
			t.Errorf("millis(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

// TestRunLosesItsConnection: when the server ends the session mid-run,
// the error says the connection is closed (which rolled the run back).
func TestRunLosesItsConnection(t *testing.T) {
	c := connect(t)
	pg := pgtest.Shared(t)
	_, err := Run(context.Background(), c, "DELETE FROM orders WHERE pg_terminate_backend(pg_backend_pid())", nil, nil, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "SQLSTATE 57P01") || !strings.Contains(err.Error(), "connection was closed") {
		t.Fatalf("%v, want the server's error and the connection closed", err)
	}
	if !c.IsClosed() {
		t.Error("the connection is open")
	}
	unchanged(t, dial(t, pg.SuperUser, pg.SuperPassword))
}
