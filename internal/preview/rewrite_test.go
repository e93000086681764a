package preview

import (
	"errors"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// TestPlanFor pins the rewrites down; TestRun runs them.
func TestPlanFor(t *testing.T) {
	const wrap = "WITH dbward_effect AS (%s) SELECT count(*) OVER (), * FROM dbward_effect LIMIT 5"
	for _, tt := range []struct {
		text, target, count, before string
	}{
		{"DELETE FROM orders o WHERE o.id > $1 RETURNING o.id", `"orders"`,
			"DELETE FROM orders o WHERE o.id > $1 RETURNING o.*", ""},
		{`DELETE FROM "S"."My T"`, `"S"."My T"`,
			`DELETE FROM "S"."My T" RETURNING "My T".*`, ""},
		{"UPDATE ONLY public.orders SET total = $1 WHERE id = $2", `"public"."orders"`,
			"UPDATE ONLY public.orders SET total = $1 WHERE id = $2 RETURNING orders.*",
			"SELECT orders.* FROM ONLY public.orders WHERE id = $2 LIMIT 5"},
		{"UPDATE t x SET a = 1 FROM u, v WHERE u.id = x.id", `"t"`,
			"UPDATE t x SET a = 1 FROM u, v WHERE u.id = x.id RETURNING x.*",
			"SELECT x.* FROM t x WHERE EXISTS (SELECT 1 FROM u, v WHERE u.id = x.id) LIMIT 5"},
		{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) UPDATE t SET a = 0 WHERE id IN (SELECT n FROM r)", `"t"`,
			"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) UPDATE t SET a = 0 WHERE id IN (SELECT n FROM r) RETURNING t.*",
			"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT t.* FROM t WHERE id IN (SELECT n FROM r) LIMIT 5"},
		{`INSERT INTO "S"."T" AS z VALUES ($1) ON CONFLICT DO NOTHING`, `"S"."T"`,
			`INSERT INTO "S"."T" AS z VALUES ($1) ON CONFLICT DO NOTHING RETURNING z.*`, ""},
		{"MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE", `"t"`, "", ""},
	} {
		p, err := planFor(tt.text, 5)
		if err != nil {
			t.Errorf("%s: %v", tt.text, err)
			continue
		}
		count := ""
		if tt.count != "" {
			count = strings.Replace(wrap, "%s", tt.count, 1)
		}
		if p.target != tt.target || p.count != count || p.before != tt.before {
			t.Errorf("%s:\n target %s\n count  %s\n before %s", tt.text, p.target, p.count, p.before)
		}
	}
}

// FuzzPlanFor: any text is planned or refused, never a panic; a plan reads
// with one SELECT holding the one write, and an UPDATE's read before it
// is one SELECT writing nothing.
func FuzzPlanFor(f *testing.F) {
	for _, s := range []string{
		"DELETE FROM t WHERE id = $1",
		"UPDATE t x SET a = 1 FROM u WHERE u.id = x.id",
		"WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a",
		"INSERT INTO t AS x VALUES (1) ON CONFLICT (id) DO UPDATE SET a = x.a + 1 RETURNING x.a",
		"MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE",
		"SELECT 1; DELETE FROM t",
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
		`UPDATE "a"."b c" SET "x" = $2 WHERE CURRENT OF cur`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := planFor(text, 5)
		if err != nil {
			if !errors.Is(err, ErrNotPreviewable) {
				t.Fatalf("%q: %v does not wrap ErrNotPreviewable", text, err)
			}
			return
		}
		if p.target == "" {
			t.Fatalf("%q: no target", text)
		}
		for _, q := range []struct {
			sql    string
			writes int
		}{{p.count, 1}, {p.before, 0}} {
			if q.sql == "" {
				continue
			}
			tree, err := pg_query.Parse(q.sql)
			if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
				t.Fatalf("%q planned as %q: not one SELECT (%v)", text, q.sql, err)
			}
			var sc scanned
			sc.scan(tree.ProtoReflect())
			if sc.writes != q.writes {
				t.Fatalf("%q planned as %q: %d writes, want %d", text, q.sql, sc.writes, q.writes)
			}
		}
	})
}
