package analyze

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/analyze.golden")

// want is the part of the facts a case pins down ("" / nil: not checked).
type want struct {
	kind        Kind
	command     string
	commands    []string
	tables      string // "schema.name:access ..." in order
	flags       []string
	destructive bool
	unbounded   bool
	dynamic     bool
}

func tbl(s string) string { return s }

var cases = []struct {
	sql string
	w   want
}{
	{"SELECT * FROM orders", want{kind: KindSelect, command: "SELECT", tables: ".orders:read"}},
	{"select o.id from public.orders o join customers c on c.id = o.customer_id", want{kind: KindSelect, tables: "public.orders:read .customers:read"}},
	{"INSERT INTO orders (id) VALUES (1)", want{kind: KindInsert, command: "INSERT", tables: ".orders:write"}},
	{"INSERT INTO archive SELECT * FROM orders", want{kind: KindInsert, tables: ".archive:write .orders:read"}},
	{"UPDATE orders SET total = 0", want{kind: KindUpdate, destructive: true, unbounded: true, tables: ".orders:write"}},
	{"UPDATE orders SET total = 0 WHERE id = 1", want{kind: KindUpdate, tables: ".orders:write"}},
	{"UPDATE orders SET total = 0 WHERE true", want{kind: KindUpdate, destructive: true, unbounded: true}},
	{"DELETE FROM orders", want{kind: KindDelete, command: "DELETE", destructive: true, unbounded: true, tables: ".orders:write"}},
	{"DELETE FROM orders WHERE 1 = 1", want{kind: KindDelete, destructive: true, unbounded: true}},
	{"DELETE FROM orders WHERE 'a' = 'a'", want{kind: KindDelete, destructive: true, unbounded: true}},
	{"DELETE FROM orders WHERE id = 5", want{kind: KindDelete, tables: ".orders:write"}},
	{"DELETE FROM orders WHERE id IN (SELECT order_id FROM refunds)", want{kind: KindDelete, tables: ".orders:write .refunds:read"}},
	{"DELETE FROM orders USING customers WHERE customers.id = orders.customer_id", want{kind: KindDelete}},
	{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", want{kind: KindMerge, destructive: true, tables: ".t:write .s:read"}},
	{"MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)", want{kind: KindMerge, tables: ".t:write .s:read"}},
	{"WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d", want{kind: KindDelete, command: "SELECT", commands: []string{"SELECT", "DELETE"}, destructive: true, unbounded: true, tables: ".orders:write"}},
	{"WITH u AS (UPDATE orders SET total = 1 WHERE id = 2 RETURNING id) SELECT * FROM u", want{kind: KindUpdate, tables: ".orders:write"}},
	{"WITH x AS (SELECT 1) SELECT * FROM x", want{kind: KindSelect, tables: ""}},
	{"SELECT * INTO newtab FROM orders", want{kind: KindDDL, tables: ".newtab:ddl .orders:read"}},
	{"CREATE TABLE t2 AS SELECT * FROM orders", want{kind: KindDDL, command: "CREATE TABLE", tables: ".t2:ddl .orders:read"}},
	{"DROP TABLE orders", want{kind: KindDDL, command: "DROP TABLE", destructive: true, tables: ".orders:ddl"}},
	{"DROP TABLE IF EXISTS s.a, b CASCADE", want{kind: KindDDL, command: "DROP TABLE", destructive: true, tables: "s.a:ddl .b:ddl"}},
	{"DROP SCHEMA app CASCADE", want{kind: KindDDL, command: "DROP SCHEMA", destructive: true}},
	{"DROP DATABASE shop", want{kind: KindDDL, command: "DROP DATABASE", destructive: true}},
	{"DROP INDEX CONCURRENTLY i", want{kind: KindDDL, command: "DROP INDEX", destructive: true}},
	{"DROP FUNCTION f(int)", want{kind: KindDDL, command: "DROP FUNCTION", destructive: true}},
	{"TRUNCATE orders, customers", want{kind: KindDDL, command: "TRUNCATE TABLE", destructive: true, tables: ".orders:ddl .customers:ddl"}},
	{"ALTER TABLE orders DROP COLUMN total", want{kind: KindDDL, command: "ALTER TABLE", destructive: true, tables: ".orders:ddl"}},
	{"ALTER TABLE orders ALTER COLUMN total TYPE bigint", want{kind: KindDDL, destructive: true}},
	{"ALTER TABLE orders ADD COLUMN note text", want{kind: KindDDL, command: "ALTER TABLE"}},
	{"ALTER TABLE orders RENAME COLUMN total TO amount", want{kind: KindDDL, destructive: true, tables: ".orders:ddl"}},
	{"ALTER TABLE orders OWNER TO mallory", want{kind: KindPrivilege}},
	{"CREATE INDEX i ON orders (customer_id)", want{kind: KindDDL, command: "CREATE INDEX", tables: ".orders:ddl"}},
	{"CREATE TABLE t (id int)", want{kind: KindDDL, command: "CREATE TABLE", tables: ".t:ddl"}},
	{"CREATE VIEW v AS SELECT * FROM orders", want{kind: KindDDL, command: "CREATE VIEW"}},
	{"CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM orders'", want{kind: KindDDL, command: "CREATE FUNCTION"}},
	{"COMMENT ON TABLE orders IS 'x'", want{kind: KindDDL, command: "COMMENT"}},
	{"GRANT SELECT ON orders TO analyst", want{kind: KindPrivilege, command: "GRANT"}},
	{"REVOKE ALL ON orders FROM PUBLIC", want{kind: KindPrivilege, command: "GRANT"}},
	{"GRANT admin TO mallory", want{kind: KindPrivilege, command: "GRANT ROLE"}},
	{"CREATE ROLE mallory LOGIN SUPERUSER", want{kind: KindPrivilege, command: "CREATE ROLE"}},
	{"ALTER ROLE mallory SUPERUSER", want{kind: KindPrivilege, command: "ALTER ROLE"}},
	{"ALTER USER mallory WITH PASSWORD 'x'", want{kind: KindPrivilege}},
	{"DROP ROLE mallory", want{kind: KindPrivilege, command: "DROP ROLE", destructive: true}},
	{"SET ROLE admin", want{kind: KindPrivilege, command: "SET ROLE"}},
	{"SET LOCAL ROLE admin", want{kind: KindPrivilege, command: "SET ROLE"}},
	{"SET SESSION AUTHORIZATION postgres", want{kind: KindPrivilege, command: "SET SESSION AUTHORIZATION"}},
	{"RESET ROLE", want{kind: KindSet, command: "RESET"}},
	{"ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO analyst", want{kind: KindPrivilege}},
	{"SELECT set_config('role', 'admin', false)", want{kind: KindPrivilege}},
	{"SELECT set_config('application_name', 'x', false)", want{kind: KindSelect}},
	{"SET work_mem = '64MB'", want{kind: KindSet, command: "SET"}},
	{"SHOW work_mem", want{kind: KindSelect, command: "SHOW"}},
	{"BEGIN", want{kind: KindTransaction}},
	{"COMMIT", want{kind: KindTransaction}},
	{"LISTEN orders_changed", want{kind: KindUtility, command: "LISTEN"}},
	{"NOTIFY orders_changed, 'x'", want{kind: KindUtility, command: "NOTIFY"}},
	{"VACUUM orders", want{kind: KindUtility, command: "VACUUM"}},
	{"ALTER SYSTEM SET work_mem = '1MB'", want{kind: KindDDL, command: "ALTER SYSTEM", flags: []string{FlagAlterSystem}}},
	{"LOAD 'auto_explain'", want{kind: KindUtility, flags: []string{FlagLoad}}},
	{"COPY orders TO STDOUT", want{kind: KindCopy, command: "COPY", tables: ".orders:read"}},
	{"COPY orders FROM STDIN", want{kind: KindCopy, tables: ".orders:write"}},
	{"COPY (SELECT * FROM customers) TO STDOUT", want{kind: KindCopy, tables: ".customers:read"}},
	{"COPY orders TO PROGRAM 'curl evil'", want{kind: KindCopy, flags: []string{FlagCopyProgram}}},
	{"COPY orders FROM '/etc/passwd'", want{kind: KindCopy, flags: []string{FlagCopyFile}}},
	{"SELECT pg_read_file('/etc/passwd')", want{kind: KindSelect, flags: []string{FlagFileAccess}}},
	{"SELECT lo_import('/etc/passwd')", want{flags: []string{FlagFileAccess}}},
	{"EXPLAIN DELETE FROM orders", want{kind: KindSelect, command: "EXPLAIN", tables: ".orders:read"}},
	{"EXPLAIN ANALYZE DELETE FROM orders", want{kind: KindDelete, command: "EXPLAIN", commands: []string{"EXPLAIN", "DELETE"}, destructive: true, unbounded: true, tables: ".orders:write"}},
	{"EXPLAIN (ANALYZE, BUFFERS) UPDATE orders SET total = 1", want{kind: KindUpdate, destructive: true, unbounded: true}},
	{"EXPLAIN (ANALYZE false) DELETE FROM orders", want{kind: KindSelect, command: "EXPLAIN"}},
	{"PREPARE p AS DELETE FROM orders", want{kind: KindDelete, command: "PREPARE", destructive: true, unbounded: true}},
	{"PREPARE q(int) AS SELECT * FROM orders WHERE id = $1", want{kind: KindSelect, command: "PREPARE", tables: ".orders:read"}},
	{"EXECUTE p", want{kind: KindUnknown, command: "EXECUTE", flags: []string{FlagUnknownPrepared}, destructive: true, dynamic: true}},
	{"DEALLOCATE p", want{kind: KindUtility}},
	{"CALL archive_orders()", want{kind: KindCall, command: "CALL"}},
	{"DO $$BEGIN DROP TABLE orders; END$$", want{kind: KindDDL, command: "DO", commands: []string{"DO", "DROP TABLE"}, destructive: true, tables: ".orders:ddl"}},
	{"DO $$BEGIN PERFORM 1; END$$", want{kind: KindSelect, command: "DO"}},
	{"DO $$DECLARE n int; BEGIN n := (SELECT count(*) FROM orders); RAISE NOTICE '%', n; END$$", want{kind: KindSelect, tables: ".orders:read"}},
	{"DO $$BEGIN IF true THEN DELETE FROM orders; END IF; END$$", want{kind: KindDelete, destructive: true, unbounded: true}},
	{"DO $$BEGIN EXECUTE 'TRUNCATE orders'; END$$", want{kind: KindDDL, commands: []string{"DO", "TRUNCATE TABLE"}, destructive: true}},
	{"DO $$BEGIN EXECUTE 'DROP TABLE ' || 'orders'; END$$", want{kind: KindUnknown, flags: []string{FlagDynamicSQL}, destructive: true, dynamic: true}},
	{"DO $$DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END$$", want{kind: KindSelect}},
	{"DO $$BEGIN EXECUTE format('DELETE FROM %I', 'orders'); END$$", want{kind: KindUnknown, destructive: true, dynamic: true}},
	{"DO $$BEGIN EXECUTE 'DO $x$BEGIN DROP TABLE t; END$x$'; END$$", want{kind: KindDDL, destructive: true}},
	{"DO LANGUAGE plperl $$ system('rm -rf /') $$", want{kind: KindUnknown, destructive: true, dynamic: true}},
	{"SELECT 1; DROP TABLE t", want{}},
	{"SELEC 1", want{kind: KindUnknown, flags: []string{FlagUnparsed}, destructive: true, dynamic: true}},
	{"LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", want{kind: KindUtility}},
	{"DECLARE c CURSOR FOR SELECT * FROM customers", want{kind: KindUtility, tables: ".customers:read"}},
	{"REFRESH MATERIALIZED VIEW mv", want{kind: KindDDL}},
	{"CLUSTER orders USING orders_pkey", want{kind: KindDDL, command: "CLUSTER"}},
	{"REINDEX TABLE orders", want{kind: KindDDL, command: "REINDEX"}},
	{"SECURITY LABEL ON TABLE orders IS 'x'", want{kind: KindPrivilege}},
	{"REASSIGN OWNED BY a TO b", want{kind: KindPrivilege}},
}

func tableString(ts []Table) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.Schema+"."+t.Name+":"+string(t.Access))
	}
	return strings.Join(parts, " ")
}

func TestAnalyzeCases(t *testing.T) {
	a := New(Options{})
	var golden strings.Builder
	for _, c := range cases {
		stmts := a.Analyze(c.sql)
		b, _ := json.Marshal(stmts)
		golden.WriteString(c.sql + "\n" + string(b) + "\n\n")
		if c.w.kind == "" && c.w.flags == nil && c.w.command == "" {
			continue // golden only
		}
		if len(stmts) != 1 {
			t.Errorf("%s: %d statements", c.sql, len(stmts))
			continue
		}
		s, w := stmts[0], c.w
		check := func(what string, ok bool) {
			if !ok {
				t.Errorf("%s: %s wrong in %s", c.sql, what, b)
			}
		}
		check("kind", w.kind == "" || s.Kind == w.kind)
		check("command", w.command == "" || s.Command == w.command)
		check("commands", w.commands == nil || slices.Equal(s.Commands, w.commands))
		check("tables", w.tables == "" || tableString(s.Tables) == w.tables)
		check("flags", w.flags == nil || containsAll(s.Flags, w.flags))
		check("destructive", s.Destructive == w.destructive || w.kind == "")
		check("where", s.Where == !w.unbounded || w.kind == "")
		check("dynamic", s.Dynamic == w.dynamic || w.kind == "")
		check("fingerprint", s.ParseError != "" || len(s.Fingerprint) == 16)
	}
	compareGolden(t, "testdata/analyze.golden", golden.String())
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		sw, sg := bufio.NewScanner(strings.NewReader(string(want))), bufio.NewScanner(strings.NewReader(got))
		for line := 1; ; line++ {
			okw, okg := sw.Scan(), sg.Scan()
			if !okw && !okg {
				break
			}
			if sw.Text() != sg.Text() {
				t.Fatalf("%s:%d differs (go test -update rewrites it after review):\nwant %s\ngot  %s", path, line, sw.Text(), sg.Text())
			}
		}
	}
}

func TestMultiStatement(t *testing.T) {
	stmts := New(Options{}).Analyze("SELECT 1; /* c */ DELETE FROM orders WHERE id = 2;\nDROP TABLE t")
	if len(stmts) != 3 {
		t.Fatalf("%d statements", len(stmts))
	}
	kinds := []Kind{stmts[0].Kind, stmts[1].Kind, stmts[2].Kind}
	if !slices.Equal(kinds, []Kind{KindSelect, KindDelete, KindDDL}) {
		t.Fatalf("kinds %v", kinds)
	}
	if stmts[2].Text != "DROP TABLE t" || stmts[0].Text != "SELECT 1" {
		t.Fatalf("texts %q %q", stmts[0].Text, stmts[2].Text)
	}
	if stmts[0].Fingerprint == stmts[1].Fingerprint {
		t.Fatal("different statements, same fingerprint")
	}
	if got := New(Options{}).Analyze("  /* only a comment */ "); len(got) != 0 {
		t.Fatalf("comment-only text gave %d statements", len(got))
	}
}

// The fingerprint cache must never hand one text's literal-dependent facts
// to another.
func TestFingerprintCacheKeepsLiteralSensitiveApart(t *testing.T) {
	pairs := [][2]string{
		{"DO $$BEGIN PERFORM 1; END$$", "DO $$BEGIN DROP TABLE t; END$$"},
		{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'x', false)"},
		{"EXECUTE a", "EXECUTE b"},
		{"PREPARE a AS SELECT 1", "PREPARE b AS SELECT 1"},
		{"EXPLAIN (ANALYZE false) DELETE FROM t", "EXPLAIN (ANALYZE true) DELETE FROM t"},
	}
	for _, p := range pairs {
		a := New(Options{})
		first, second := a.Analyze(p[0])[0], a.Analyze(p[1])[0]
		fresh := New(Options{}).Analyze(p[1])[0]
		if second.Kind != fresh.Kind || second.Execute != fresh.Execute || second.Prepare != fresh.Prepare || second.Text != p[1] {
			t.Errorf("%q after %q: got %+v, want %+v", p[1], p[0], second, fresh)
		}
		_ = first
	}
	// And texts differing only in constants do share, with their own text.
	a := New(Options{})
	a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 1")
	s := a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 2")[0]
	if s.Text != "SELECT abalance FROM pgbench_accounts WHERE aid = 2" || tableString(s.Tables) != ".pgbench_accounts:read" {
		t.Fatalf("fingerprint hit: %+v", s)
	}
}

func TestIntent(t *testing.T) {
	cases := map[string]map[string]string{
		"SELECT 1": nil,
		"SELECT 1 /* ticket='OPS-42',reason='fix%20totals' */": {"ticket": "OPS-42", "reason": "fix totals"},
		"/* just a comment */ SELECT 1":                        nil,
		"/* a='1' */ SELECT /* b='2' */ 1":                     {"a": "1", "b": "2"},
		"/* broken='x */":                                      nil,
	}
	for sql, want := range cases {
		got := Intent(sql)
		if len(got) != len(want) {
			t.Errorf("%s: got %v want %v", sql, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s=%q want %q", sql, k, got[k], v)
			}
		}
	}
}

type fakeCatalog map[string]bool

func (c fakeCatalog) FunctionMayWrite(_ context.Context, name string) (bool, error) {
	v, ok := c[name]
	return v || !ok, nil
}

func TestResolve(t *testing.T) {
	a := New(Options{})
	cat := fakeCatalog{"order_count": false, "bump": true}
	for sql, wantUnknown := range map[string]bool{
		"SELECT order_count()":                 false,
		"SELECT bump()":                        true,
		"SELECT count(*), now() FROM t":        false,
		"SELECT nosuchfunction()":              true,
		"CALL bump()":                          true,
		"SELECT * FROM t WHERE x = lower('A')": false,
	} {
		in := a.Analyze(sql)
		out, err := Resolve(context.Background(), in, cat)
		if err != nil {
			t.Fatal(err)
		}
		got := out[0].Kind == KindUnknown && slices.Contains(out[0].Flags, FlagVolatileFunction)
		if got != wantUnknown {
			t.Errorf("%s: %+v", sql, out[0])
		}
		if in[0].Kind == KindUnknown && !strings.HasPrefix(sql, "CALL") {
			t.Errorf("%s: Resolve modified the cached statement", sql)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, c := range cases {
		f.Add(c.sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, s := range New(Options{CacheSize: 4}).Analyze(sql) {
			if s.Kind == "" {
				t.Fatalf("no kind for %q", sql)
			}
			if s.ParseError != "" && s.Kind != KindUnknown {
				t.Fatalf("unparsed but kind %s", s.Kind)
			}
		}
	})
}

func BenchmarkAnalyze(b *testing.B) {
	b.Run("exact-hit", func(b *testing.B) {
		a := New(Options{})
		a.Analyze("BEGIN;")
		for b.Loop() {
			a.Analyze("BEGIN;")
		}
	})
	b.Run("fingerprint-hit", func(b *testing.B) {
		a := New(Options{})
		a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 1;")
		for b.Loop() {
			a.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 4242;")
		}
	})
	b.Run("cold-select", func(b *testing.B) {
		for b.Loop() {
			analyzeText("SELECT abalance FROM pgbench_accounts WHERE aid = 4242;")
		}
	})
	b.Run("cold-update", func(b *testing.B) {
		for b.Loop() {
			analyzeText("UPDATE pgbench_accounts SET abalance = abalance + 10 WHERE aid = 4242;")
		}
	})
	b.Run("cold-multi", func(b *testing.B) {
		for b.Loop() {
			analyzeText("BEGIN; UPDATE t SET a = 1 WHERE id = 2; INSERT INTO h VALUES (1, 2, now()); COMMIT;")
		}
	})
}
