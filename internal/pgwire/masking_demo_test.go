package pgwire_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbward/dbward/internal/demo"
)

// The demo's shop, as an AI agent in prod reads it: every form of query
// the masking issue names — a column, an alias, a view, a join, SELECT *,
// expressions, JSON made of rows, a CTE, a set operation, COPY — through
// pgx (binary and text formats) and psql; no sensitive value of any
// customer reaches the client in clear, in any of the bytes it receives.
func TestMaskingDemoSchema(t *testing.T) {
	e := startProxy(t, nil)
	defer resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	if err := e.pg.Exec(ctx, "shop_prod", `DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION dbward_svc;
		SET ROLE dbward_svc;`+demo.Schema+demo.SampleData(25, 7)+`
		CREATE VIEW customer_contacts AS SELECT id, full_name AS name, email AS contact, phone FROM customers;`); err != nil {
		t.Fatal(err)
	}
	// Every sensitive value, read directly.
	var clear [][]byte
	rows, err := e.direct(t, "shop_prod").Query(ctx, `SELECT full_name, email, phone, national_id, card_number, date_of_birth::text FROM customers
		UNION ALL SELECT secret, secret, secret, secret, secret, secret FROM api_keys`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			// (A partly masked date of birth keeps its year, as 1 January:
			// one born on 1 January reads as it is.)
			if s, ok := v.(string); ok && s != "" && !strings.HasSuffix(s, "-01-01") {
				clear = append(clear, []byte(s))
			}
		}
	}
	if len(clear) < 100 {
		t.Fatalf("only %d sensitive values", len(clear))
	}
	leaked := func(what string, got []byte) {
		t.Helper()
		for _, v := range clear {
			if bytes.Contains(got, v) {
				t.Errorf("%s: the client received %q", what, v)
			}
		}
	}

	queries := []string{
		"SELECT full_name, email, phone, national_id, card_number, date_of_birth FROM customers",
		"SELECT full_name AS who, email AS contact FROM customers c",
		"SELECT name, contact, phone FROM customer_contacts",
		"SELECT c.full_name, c.email, o.total_cents FROM customers c JOIN orders o ON o.customer_id = c.id",
		"SELECT * FROM customers",
		"SELECT lower(email), email || '', upper(full_name), substr(card_number, 1, 8), national_id::varchar(5) FROM customers",
		"SELECT row_to_json(c), to_jsonb(c) FROM customers c",
		"SELECT json_agg(c.*) FROM customers c",
		"WITH vip AS (SELECT full_name, card_number FROM customers WHERE id < 10) SELECT * FROM vip",
		"SELECT email FROM customers UNION SELECT national_id FROM customers",
		"SELECT label, secret FROM api_keys",
		"SELECT max(national_id), min(date_of_birth), string_agg(full_name, ', ') FROM customers",
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		c, rec := e.recordedConn(t, agent, agentToken, "shop")
		for _, q := range queries {
			decodeRows(t, c, q, mode)
		}
		for _, q := range []string{"COPY customers TO STDOUT", "COPY (SELECT * FROM customer_contacts) TO STDOUT (FORMAT csv, HEADER)"} {
			var buf bytes.Buffer
			if _, err := c.PgConn().CopyTo(ctx, &buf, q); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
		leaked(mode.String(), rec.bytes())
	}
	for _, q := range append(queries, "COPY customers TO STDOUT (FORMAT csv)") {
		out, errs, code := e.psql(t, agent, "shop", "-A", "-c", q)
		if code != 0 {
			t.Fatalf("psql %q: exit %d: %s", q, code, errs)
		}
		if strings.Count(out, "\n") < 2 {
			t.Errorf("psql %q: %q", q, out)
		}
		leaked("psql "+q, []byte(out))
	}
}
