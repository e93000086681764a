package preview

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// schema is what the tests dry-run against: orders has 1,204 rows, every
// other one with a NULL note; dup joins order 1 twice and order 2 once.
const schema = `DROP TABLE IF EXISTS orders, archive, dup, "MyOrders", ruled, ruled_log, ledger CASCADE;
CREATE TABLE orders (id int PRIMARY KEY, total int, note text);
CREATE TABLE archive (id int, total int, note text);
CREATE TABLE dup (id int);
CREATE TABLE "MyOrders" (id int);
CREATE TABLE ruled (id int);
CREATE TABLE ruled_log (id int);
CREATE RULE log AS ON DELETE TO ruled DO ALSO INSERT INTO ruled_log VALUES (old.id);
CREATE VIEW orders_view AS SELECT id, total FROM orders;
CREATE RULE del AS ON DELETE TO orders_view DO INSTEAD DELETE FROM orders WHERE id = old.id;
CREATE TABLE ledger (id int);
GRANT DELETE ON ledger TO clerk;
INSERT INTO orders SELECT g, g * 10, CASE WHEN g % 2 = 0 THEN 'even' END FROM generate_series(1, 1204) g;
INSERT INTO dup VALUES (1), (1), (2);
INSERT INTO "MyOrders" VALUES (1);
INSERT INTO ruled VALUES (1), (2);
INSERT INTO ledger VALUES (1), (2), (3);`

var roleOnce sync.Once

// connect loads schema and connects as the superuser.
func connect(t *testing.T) *pgconn.PgConn {
	t.Helper()
	pg := pgtest.Shared(t)
	ctx := context.Background()
	var err error
	roleOnce.Do(func() { err = pg.CreateRole(ctx, "clerk", "clerk-pw") })
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(ctx, "postgres", schema); err != nil {
		t.Fatal(err)
	}
	return dial(t, pg.SuperUser, pg.SuperPassword)
}

func dial(t *testing.T, user, password string) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(context.Background(), pgtest.Shared(t).URL("postgres", user, password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// state sums up every table the tests write to.
const state = `SELECT concat_ws(' ', (SELECT count(*) || '/' || sum(total) FROM orders), (SELECT count(*) FROM archive),
	(SELECT count(*) FROM "MyOrders"), (SELECT count(*) FROM ruled), (SELECT count(*) FROM ruled_log), (SELECT count(*) FROM ledger))`

const want = "1204/7254100 0 1 2 0 3"

// unchanged fails t unless the tables are as loaded and c is usable, idle
// outside a transaction.
func unchanged(t *testing.T, c *pgconn.PgConn) {
	t.Helper()
	if c.TxStatus() != 'I' {
		t.Fatalf("a transaction is left open: %c", c.TxStatus())
	}
	r, err := c.Exec(context.Background(), state).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r[0].Rows[0][0]); got != want {
		t.Fatalf("the dry run changed the tables: %s, want %s", got, want)
	}
}

func bytes(ss ...string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}

func TestRun(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, tt := range []struct {
		text          string
		params        []string
		summary       string
		before, after int    // sample rows
		note          string // in Note; "" for none
	}{
		{"DELETE FROM orders WHERE id > 4", nil, "deletes 1,200 rows from public.orders", 5, 0, ""},
		{"DELETE FROM orders WHERE id > 5000", nil, "deletes 0 rows from public.orders", 0, 0, ""},
		{"DELETE FROM orders o WHERE o.id > 3", nil, "deletes 1,201 rows from public.orders", 5, 0, ""},
		{"DELETE FROM orders o WHERE o.id <= $1 RETURNING o.id", []string{"3"}, "deletes 3 rows from public.orders", 3, 0, ""},
		{`DELETE FROM "MyOrders"`, nil, `deletes 1 row from public."MyOrders"`, 1, 0, ""},
		{"UPDATE public.orders SET total = 0 WHERE id = 1", nil, "updates 1 row in public.orders", 1, 1, "read apart"},
		{"UPDATE orders SET total = $1 WHERE id = $2", []string{"0", "7"}, "updates 1 row in public.orders", 1, 1, "read apart"},
		{"UPDATE orders o SET total = 0 FROM dup WHERE dup.id = o.id", nil, "updates 2 rows in public.orders", 2, 2, "read apart"},
		{"UPDATE ONLY orders SET note = NULL", nil, "updates 1,204 rows in public.orders", 5, 5, "read apart"},
		{"INSERT INTO archive SELECT * FROM orders WHERE id <= 7", nil, "inserts 7 rows into public.archive", 0, 5, ""},
		{"INSERT INTO archive VALUES ($1, $2, NULL)", []string{"1", "2"}, "inserts 1 row into public.archive", 0, 1, ""},
		{"INSERT INTO orders AS o VALUES (1, 0, NULL), (5000, 0, NULL) ON CONFLICT (id) DO UPDATE SET total = o.total + 1", nil, "inserts 2 rows into public.orders", 0, 2, "ON CONFLICT"},
		{"WITH big AS (SELECT id FROM orders WHERE total > 12000) DELETE FROM orders WHERE id IN (SELECT id FROM big)", nil, "deletes 4 rows from public.orders", 4, 0, ""},
		{"WITH dbward_effect AS (SELECT 1 AS id) DELETE FROM orders WHERE id IN (SELECT id FROM dbward_effect)", nil, "deletes 1 row from public.orders", 1, 0, ""},
		{"WITH t AS (SELECT $1::int AS id) UPDATE orders SET note = 'x' FROM t WHERE t.id = orders.id", []string{"2"}, "updates 1 row in public.orders", 1, 1, "read apart"},
		{"MERGE INTO archive a USING orders o ON a.id = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id, o.total, o.note)", nil, "merges 1,204 rows into public.archive", 0, 0, "MERGE shows no sample"},
	} {
		t.Run(tt.text, func(t *testing.T) {
			e, err := Run(ctx, c, tt.text, bytes(tt.params...), nil, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if e.Summary() != tt.summary || len(e.Before) != tt.before || len(e.After) != tt.after {
				t.Errorf("%s: %d before, %d after; want %s: %d, %d", e.Summary(), len(e.Before), len(e.After), tt.summary, tt.before, tt.after)
			}
			if (tt.note == "") != (e.Note == "") || !strings.Contains(e.Note, tt.note) {
				t.Errorf("note %q, want one saying %q", e.Note, tt.note)
			}
			if cols := strings.Join(e.Columns, ","); e.Command != "MERGE" && e.Table == "public.orders" && cols != "id,total,note" {
				t.Errorf("columns %q", cols)
			}
			unchanged(t, c)
		})
	}
}

// TestRunSamples checks the samples' values: text, nil for NULL, before
// and after as the rows were and would be.
func TestRunSamples(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, tt := range []struct {
		text          string
		params        []string
		before, after string // rows as "|"-joined values, NULL as ∅
	}{
		{"UPDATE orders SET total = -1, note = NULL WHERE id = 2", nil, "2|20|even", "2|-1|∅"},
		{"DELETE FROM orders WHERE id IN (1, 2)", nil, "1|10|∅ 2|20|even", ""},
		{"INSERT INTO archive VALUES ($1, $2, NULL)", []string{"7", "70"}, "", "7|70|∅"},
		{"UPDATE orders o SET note = 'dup' FROM dup WHERE dup.id = o.id AND o.id = 1", nil, "1|10|∅", "1|10|dup"},
	} {
		e, err := Run(ctx, c, tt.text, bytes(tt.params...), nil, nil, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		if got := rows(e.Before); got != tt.before {
			t.Errorf("%s: before %q, want %q", tt.text, got, tt.before)
		}
		if got := rows(e.After); got != tt.after {
			t.Errorf("%s: after %q, want %q", tt.text, got, tt.after)
		}
		unchanged(t, c)
	}
}

func rows(rs [][]*string) string {
	var out []string
	for _, r := range rs {
		var vals []string
		for _, v := range r {
			if v == nil {
				vals = append(vals, "∅")
			} else {
				vals = append(vals, *v)
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	return strings.Join(out, " ")
}

// TestRunFallsBack: when the server will not run the statement inside a
// WITH or return its rows, the statement runs as written, counted by its
// command tag, without a sample.
func TestRunFallsBack(t *testing.T) {
	super := connect(t)
	clerk := dial(t, "clerk", "clerk-pw")
	ctx := context.Background()
	for _, tt := range []struct {
		conn    *pgconn.PgConn
		text    string
		summary string
		note    string
	}{
		{super, "DELETE FROM ruled", "deletes 2 rows from public.ruled", "DO ALSO rules are not supported"},
		{super, "DELETE FROM orders_view WHERE id <= 2", "deletes 2 rows from public.orders_view", "cannot perform DELETE RETURNING"},
		// RETURNING needs the SELECT privilege; the DELETE does not.
		{clerk, "DELETE FROM ledger", "deletes 3 rows from public.ledger", "permission denied"},
	} {
		e, err := Run(ctx, tt.conn, tt.text, nil, nil, nil, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		if e.Summary() != tt.summary || !strings.Contains(e.Note, "No sample rows") || !strings.Contains(e.Note, tt.note) ||
			e.Before != nil || e.After != nil || e.Columns != nil {
			t.Errorf("%s: %s, note %q, %d columns", tt.text, e.Summary(), e.Note, len(e.Columns))
		}
		if tt.conn.TxStatus() != 'I' {
			t.Fatalf("a transaction is left open")
		}
		unchanged(t, super)
	}
}

func TestRunRefuses(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, text := range []string{
		"DELETE FROM orders; COMMIT",
		"DELETE FROM orders WHERE id = 1; DELETE FROM orders",
		"",
		"SELECT 1",
		"COMMIT",
		"DROP TABLE orders",
		"TRUNCATE orders",
		"CREATE TABLE t AS SELECT 1",
		"COPY orders FROM STDIN",
		"EXPLAIN ANALYZE DELETE FROM orders",
		"CALL p()",
		"WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d",
		"WITH d AS (DELETE FROM orders RETURNING id) INSERT INTO archive (id) SELECT id FROM d",
		"DELETE FROM archive WHERE id IN (WITH d AS (DELETE FROM orders RETURNING id) SELECT id FROM d)",
		"DELETE FROM orders WHERE CURRENT OF c",
		"DELETE FROM orders WHERE",
	} {
		if _, err := Run(ctx, c, text, nil, nil, nil, Options{}); !errors.Is(err, ErrNotPreviewable) {
			t.Errorf("%q: %v, want ErrNotPreviewable", text, err)
		}
		unchanged(t, c)
	}
}
