package pgwire_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	agent = "claude@alice"
)

var tokens = map[string]string{alice: aliceToken, bob: bobToken, agent: agentToken}

// guardrailCase: who runs what where, and which rule must block it ("" =
// allowed). check, when set, looks at the database directly afterwards.
type guardrailCase struct {
	who, datastore, sql, rule string
	check                     func(t *testing.T, e *env, db string)
}

func tableStays(name string) func(*testing.T, *env, string) {
	return func(t *testing.T, e *env, db string) {
		if !e.tableExists(t, db, name) {
			t.Errorf("table %s is gone: the statement ran", name)
		}
	}
}

func tableGone(name string) func(*testing.T, *env, string) {
	return func(t *testing.T, e *env, db string) {
		if e.tableExists(t, db, name) {
			t.Errorf("table %s still exists: the statement did not run", name)
		}
	}
}

func rows(query string, want int64) func(*testing.T, *env, string) {
	return func(t *testing.T, e *env, db string) {
		if got := e.count(t, db, query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
}

var (
	ordersIntact = rows("SELECT count(*) FROM orders", 200)
	totalsIntact = rows("SELECT sum(total)::bigint FROM orders", 20100)
)

var guardrailCases = []guardrailCase{
	// prod: the built-in guardrails.
	{bob, "shop", "SELECT count(*) FROM customers", "", nil},
	{bob, "shop", "DROP TABLE scratch", "no_drop", tableStays("scratch")},
	{alice, "shop", "DROP TABLE scratch", "no_drop", tableStays("scratch")},
	{bob, "shop", "TRUNCATE orders", "no_truncate", ordersIntact},
	{bob, "shop", "DELETE FROM orders", "no_unbounded_write", ordersIntact},
	{bob, "shop", "DELETE FROM orders WHERE true", "no_unbounded_write", ordersIntact},
	{bob, "shop", "UPDATE orders SET total = 0", "no_unbounded_write", totalsIntact},
	{bob, "shop", "DELETE FROM orders WHERE id = 1", "", rows("SELECT count(*) FROM orders", 199)},
	{agent, "shop", "CREATE TABLE t2 (id int)", "no_agent_ddl", rows("SELECT count(*) FROM pg_tables WHERE tablename = 't2'", 0)},
	{bob, "shop", "CREATE TABLE t2 (id int)", "", rows("SELECT count(*) FROM pg_tables WHERE tablename = 't2'", 1)},
	{bob, "shop", "GRANT SELECT ON customers TO PUBLIC", "privilege_dba_only", rows("SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'PUBLIC' AND table_name = 'customers'", 0)},
	{alice, "shop", "GRANT SELECT ON customers TO PUBLIC", "", rows("SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'PUBLIC' AND table_name = 'customers'", 1)},
	{bob, "shop", "SET ROLE dbward_svc", "privilege_dba_only", nil},
	{bob, "shop", "SET SESSION AUTHORIZATION dbward_svc", "privilege_dba_only", nil},
	{bob, "shop", "CREATE ROLE intruder", "privilege_dba_only", rows("SELECT count(*) FROM pg_roles WHERE rolname = 'intruder'", 0)},
	{bob, "shop", "WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d", "no_unbounded_write", ordersIntact},
	{bob, "shop", "DO $$BEGIN DROP TABLE scratch; END$$", "no_drop", tableStays("scratch")},
	{bob, "shop", "DO $$BEGIN EXECUTE 'DROP TABLE ' || 'scratch'; END$$", "unknown_effect", tableStays("scratch")},
	{bob, "shop", "EXPLAIN ANALYZE DELETE FROM orders", "no_unbounded_write", ordersIntact},
	{bob, "shop", "SELECT bump()", "unknown_effect", totalsIntact},
	{bob, "shop", "SELECT order_count()", "", nil},
	{bob, "shop", "PREPARE p AS DELETE FROM orders", "no_unbounded_write", nil},
	{bob, "shop", "EXECUTE never_prepared", "unknown_effect", nil},
	{bob, "shop", "SELECT 1; DROP TABLE scratch", "no_drop", tableStays("scratch")},
	// every environment.
	{alice, "shop", "ALTER SYSTEM SET work_mem = '1MB'", "no_alter_system", nil},
	{bob, "shopdev", "ALTER SYSTEM SET work_mem = '1MB'", "no_alter_system", nil},
	{bob, "shop", "COPY orders TO PROGRAM 'cat'", "no_copy_program", nil},
	{alice, "shopdev", "COPY orders TO PROGRAM 'cat'", "no_copy_program", nil},
	{bob, "shopdev", "SELECT pg_read_file('/etc/passwd')", "no_file_access", nil},
	{bob, "shop", "SELEC 1", "unparseable", nil},
	{bob, "shopdev", "SET standard_conforming_strings = off", "no_syntax_change", nil},
	{alice, "shopdev", "SET client_encoding = 'SJIS'", "no_syntax_change", nil},
	// dev: the prod guardrails do not apply.
	{bob, "shopdev", "DROP TABLE scratch", "", tableGone("scratch")},
	{bob, "shopdev", "TRUNCATE orders", "", rows("SELECT count(*) FROM orders", 0)},
	{bob, "shopdev", "DELETE FROM orders", "", rows("SELECT count(*) FROM orders", 0)},
	{agent, "shopdev", "CREATE TABLE t2 (id int)", "", rows("SELECT count(*) FROM pg_tables WHERE tablename = 't2'", 1)},
	{bob, "shopdev", "GRANT SELECT ON customers TO PUBLIC", "", nil},
	{bob, "shopdev", "SELECT bump()", "", rows("SELECT sum(total)::bigint FROM orders", 20300)},
	{bob, "shopdev", "DO $$BEGIN DROP TABLE scratch; END$$", "", tableGone("scratch")},
}

func dbOf(datastore string) string {
	if datastore == "shop" {
		return "shop_prod"
	}
	return "shop_dev"
}

// TestGuardrails runs every case through the simple and the extended
// protocol (pgx) and checks the database directly afterwards.
func TestGuardrails(t *testing.T) {
	e := startProxy(t, nil)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		for _, c := range guardrailCases {
			if mode != pgx.QueryExecModeSimpleProtocol && (strings.Contains(c.sql, "; ") || strings.HasPrefix(c.sql, "SELEC ")) {
				continue // the extended protocol takes one statement per Parse
			}
			t.Run(mode.String()+"/"+c.who+"/"+c.datastore+"/"+c.sql, func(t *testing.T) {
				db := dbOf(c.datastore)
				resetDB(t, e.pg, db)
				conn := e.connect(t, c.who, tokens[c.who], c.datastore)
				_, err := conn.Exec(context.Background(), c.sql, mode)
				expectRule(t, err, c.rule)
				if c.check != nil {
					c.check(t, e, db)
				}
				// The session stays usable after a denial.
				var one int
				if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("session unusable after %q: %v", c.sql, err)
				}
			})
		}
	}
}

// expectRule checks err is dbward's refusal by rule, or nil when rule is "".
func expectRule(t *testing.T, err error, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Fatalf("want allowed, got %v", err)
		}
		return
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want refusal by %s, got %v", rule, err)
	}
	wantCode := "42501"
	if rule == "unparseable" {
		wantCode = "42601"
	}
	if pe.Code != wantCode || !strings.HasPrefix(pe.Message, "dbward: blocked by "+rule+": ") {
		t.Fatalf("want %s 'dbward: blocked by %s: …', got %s %q", wantCode, rule, pe.Code, pe.Message)
	}
	if pe.Hint == "" {
		t.Errorf("refusal without a hint: %q", pe.Message)
	}
}
