package preview

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const schema = `DROP TABLE IF EXISTS orders, archive;
CREATE TABLE orders (id int PRIMARY KEY, total int, note text);
CREATE TABLE archive (id int, total int, note text);
INSERT INTO orders SELECT g, g * 10, CASE WHEN g % 2 = 0 THEN 'even' END FROM generate_series(1, 1204) g;`

var roleOnce sync.Once

// dial connects to the shared server as a role of the tests'.
func dial(t *testing.T) *pgconn.PgConn {
	t.Helper()
	pg := pgtest.Shared(t)
	ctx := context.Background()
	var err error
	roleOnce.Do(func() { err = pg.CreateRole(ctx, "previewer", "previewer-pw", "SUPERUSER") })
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgconn.Connect(ctx, pg.URL("postgres", "previewer", "previewer-pw"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func connect(t *testing.T) *pgconn.PgConn {
	t.Helper()
	pg := pgtest.Shared(t)
	ctx := context.Background()
	if err := pg.Exec(ctx, "postgres", schema); err != nil {
		t.Fatal(err)
	}
	c := dial(t)
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

func TestRun(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, tt := range []struct {
		text          string
		params        []string
		summary       string
		before, after int
		note          bool
	}{
		{"DELETE FROM orders WHERE id > 4", nil, "deletes 1,200 rows from public.orders", 5, 0, false},
		{"DELETE FROM orders WHERE id > 5000", nil, "deletes 0 rows from public.orders", 0, 0, false},
		{"DELETE FROM orders o WHERE o.id <= $1 RETURNING o.id", []string{"3"}, "deletes 3 rows from public.orders", 3, 0, false},
		{"UPDATE public.orders SET total = 0 WHERE id = 1", nil, "updates 1 row in public.orders", 1, 1, true},
		{"UPDATE orders o SET total = a.total FROM archive a WHERE a.id = o.id", nil, "updates 0 rows in public.orders", 0, 0, true},
		{"INSERT INTO archive SELECT * FROM orders WHERE id <= 7", nil, "inserts 7 rows into public.archive", 0, 5, false},
		{"INSERT INTO archive VALUES ($1, $2, NULL)", []string{"1", "2"}, "inserts 1 row into public.archive", 0, 1, false},
		{"WITH big AS (SELECT id FROM orders WHERE total > 12000) DELETE FROM orders WHERE id IN (SELECT id FROM big)", nil, "deletes 4 rows from public.orders", 4, 0, false},
		{"MERGE INTO archive a USING orders o ON a.id = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id, o.total, o.note)", nil, "merges 1,204 rows into public.archive", 0, 0, true},
	} {
		t.Run(tt.text, func(t *testing.T) {
			var params [][]byte
			for _, p := range tt.params {
				params = append(params, []byte(p))
			}
			e, err := Run(ctx, c, tt.text, params, nil, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if e.Summary() != tt.summary || len(e.Before) != tt.before || len(e.After) != tt.after || (e.Note != "") != tt.note {
				t.Errorf("%s: %d before, %d after, note %q", e.Summary(), len(e.Before), len(e.After), e.Note)
			}
			if len(e.Before)+len(e.After) > 0 && strings.Join(e.Columns, ",") != "id,total,note" {
				t.Errorf("columns %v", e.Columns)
			}
			unchanged(t, c)
		})
	}
	// An UPDATE's samples: as the rows are, and as they would be.
	e, err := Run(ctx, c, "UPDATE orders SET total = -1, note = NULL WHERE id = 2", nil, nil, nil, Options{})
	if err != nil || *e.Before[0][1] != "20" || *e.After[0][1] != "-1" || *e.Before[0][2] != "even" || e.After[0][2] != nil {
		t.Fatalf("update samples: %+v, %v", e, err)
	}
}

func unchanged(t *testing.T, c *pgconn.PgConn) {
	t.Helper()
	r, err := c.Exec(context.Background(), "SELECT (SELECT count(*) FROM orders) || '/' || (SELECT count(*) FROM archive) || '/' || (SELECT sum(total) FROM orders)").ReadAll()
	if err != nil || string(r[0].Rows[0][0]) != "1204/0/7254100" {
		t.Fatalf("the dry run changed the tables: %s, %v", r[0].Rows, err)
	}
	if c.TxStatus() != 'I' {
		t.Fatalf("a transaction is left open: %c", c.TxStatus())
	}
}

func TestRunRefuses(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	for _, text := range []string{
		"DELETE FROM orders; COMMIT",
		"SELECT 1",
		"DROP TABLE orders",
		"COPY orders FROM STDIN",
		"WITH d AS (DELETE FROM orders RETURNING id) INSERT INTO archive (id) SELECT id FROM d",
		"DELETE FROM orders WHERE",
	} {
		if _, err := Run(ctx, c, text, nil, nil, nil, Options{}); !errors.Is(err, ErrNotPreviewable) {
			t.Errorf("%q: %v", text, err)
		}
		unchanged(t, c)
	}
}

func TestRunTimesOut(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	holder := dial(t)
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "BEGIN; LOCK orders IN ACCESS EXCLUSIVE MODE").ReadAll(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Run(ctx, c, "DELETE FROM orders WHERE id = 1", nil, nil, nil, Options{LockTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "waited too long for a lock") || time.Since(start) > 3*time.Second {
		t.Fatalf("under a lock: %v after %v", err, time.Since(start))
	}
	holder.Exec(ctx, "ROLLBACK").ReadAll()
	_, err = Run(ctx, c, "UPDATE orders SET total = total WHERE pg_sleep(0.01) IS NOT NULL", nil, nil, nil, Options{StatementTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("a slow statement: %v", err)
	}
	unchanged(t, c)
}

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		e    Effect
		want string
	}{
		{Effect{Command: "DELETE", Table: "public.orders", Rows: 1204}, "deletes 1,204 rows from public.orders"},
		{Effect{Command: "INSERT", Table: "s.t", Rows: 1}, "inserts 1 row into s.t"},
		{Effect{Command: "UPDATE", Table: "s.t", Rows: 1234567}, "updates 1,234,567 rows in s.t"},
		{Effect{Command: "MERGE", Table: "s.t", Rows: 999}, "merges 999 rows into s.t"},
	} {
		if got := tt.e.Summary(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}

// FuzzPlanFor: any text is planned or refused, never a panic, and a plan
// of a write is itself one statement.
func FuzzPlanFor(f *testing.F) {
	for _, s := range []string{"DELETE FROM t WHERE id = $1", "UPDATE t x SET a = 1 FROM u WHERE u.id = x.id",
		"WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE", "SELECT 1; DELETE FROM t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := planFor(text, 5)
		if err != nil {
			return
		}
		for _, q := range []string{p.count, p.before} {
			if q != "" && strings.Contains(q, ";") && !strings.Contains(text, ";") {
				t.Fatalf("plan of %q: %q", text, q)
			}
		}
	})
}
