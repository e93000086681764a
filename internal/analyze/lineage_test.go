package analyze

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/lineage"
)

// render writes a lineage compactly: branches split by " | ", outputs by
// ", ", refs of one output by "+"; a ref is rel.column (candidate tables
// joined by "/"), "?" when optional; "*" before a star; "opaque" for an
// opaque output; "-" for one that reads nothing.
func render(q *lineage.Query) string {
	if q == nil {
		return "nil"
	}
	var br []string
	for _, b := range q.Branches {
		var outs []string
		for _, o := range b {
			var parts []string
			for _, r := range o.Refs {
				var rels []string
				for _, rel := range r.Rels {
					rels = append(rels, strings.TrimPrefix(rel.Schema+"."+rel.Name, "."))
				}
				s := strings.Join(rels, "/") + "." + r.Column
				if r.Optional {
					s += "?"
				}
				parts = append(parts, s)
			}
			s := strings.Join(parts, "+")
			if o.Star {
				s = "*" + s
			}
			if o.Opaque {
				s = strings.TrimPrefix(s+" opaque", " ")
			}
			if s == "" {
				s = "-"
			}
			outs = append(outs, s)
		}
		br = append(br, strings.Join(outs, ", "))
	}
	return strings.Join(br, " | ")
}

func TestLineage(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SELECT email FROM customers", "customers.email"},
		{"SELECT lower(c.email), substr(card, 1, 8) AS c8 FROM customers c", "customers.email, customers.card"},
		{"SELECT md5(email), email || '', upper(email)::varchar(10) FROM public.customers", "public.customers.email, public.customers.email, public.customers.email"},
		{"SELECT max(national_id), count(email), count(*), length(email), pg_catalog.char_length(card) FROM customers", "customers.national_id, -, -, -, -"},
		{"SELECT email = 'x', email IS NULL, email LIKE '%@x', EXISTS (SELECT 1 FROM t) FROM customers", "-, -, -, -"},
		{"SELECT 1, now(), $1, current_user", "-, -, -, -"},
		{"SELECT lower(email) FROM customers JOIN orders ON orders.customer_id = customers.id", "customers/orders.email"},
		{"SELECT o.total + 1, c.name FROM customers c JOIN orders o ON o.customer_id = c.id", "orders.total, customers.name"},
		{"SELECT *, lower(name) FROM customers", "*customers.*, customers.name"},
		{"SELECT c.*, o.id FROM customers c, orders o", "*customers.*, orders.id"},
		{"SELECT row_to_json(c) FROM customers c", "customers.c?+customers.*"},
		{"SELECT row_to_json(c.*) FROM customers c", "customers.*"},
		{"SELECT email FROM a UNION SELECT name FROM b", "a.email | b.name"},
		{"SELECT * FROM a UNION ALL SELECT x, y FROM b", "*a.* | b.x, b.y"},
		{"WITH x AS (SELECT email AS e FROM customers) SELECT lower(e) FROM x", "customers.email"},
		{"WITH x(e) AS (SELECT email FROM customers) SELECT upper(x.e) FROM x", "customers.email"},
		{"SELECT lower(s.e) FROM (SELECT email AS e, id FROM customers) s", "customers.email"},
		{"SELECT lower(y) FROM (SELECT email, id FROM customers) s(y, z)", "customers.email"},
		{"SELECT lower(email) FROM (SELECT * FROM customers) s", "customers.email?"},
		{"SELECT * FROM (SELECT lower(email) FROM customers) s", "customers.email"},
		{"SELECT (SELECT max(email) FROM customers c WHERE c.id = o.customer_id) FROM orders o", "customers/orders.email"},
		{"SELECT (SELECT o.note) FROM orders o", "orders.note"},
		{"SELECT secret_of(id) FROM accounts", "accounts.id opaque"},
		{"SELECT app.lookup(1)", "opaque"},
		{"SELECT table_to_xml('public.customers', true, false, ''), query_to_xml('SELECT email FROM t', true, false, '')", "public.customers.* opaque, t.email opaque"},
		{"SELECT CASE WHEN vip THEN email ELSE 'hidden' END FROM customers", "customers.email+customers.vip"},
		// A bit or a size of a computed value can encode any part of it.
		{"SELECT length(repeat('x', ascii(substr(password, 1, 1)))), CASE WHEN substr(ssn, 1, 1) = '5' THEN '5' END, lower(ssn) LIKE '5%' FROM customers", "customers.password, customers.ssn, customers.ssn"},
		{"SELECT coalesce(phone, email), greatest(a, b), ARRAY[email], ROW(email, 1) FROM customers", "customers.phone+customers.email, customers.a+customers.b, customers.email, customers.email"},
		{"SELECT json_build_object('e', email), data->>'ssn' FROM customers", "customers.email, customers.data"},
		{"SELECT * FROM generate_series(1, 3) g", "-"},
		{"SELECT x FROM unnest(ARRAY[1]) x", "-"},
		{"SELECT v FROM my_function() v", "opaque"},
		{"VALUES (1, 'a')", "-, -"},
		{"SELECT * FROM (VALUES (1, 'x')) v(a, b)", "-, -"},
		{"INSERT INTO customers (email) VALUES ('a@b.c') RETURNING id, lower(email)", "customers.id, customers.email"},
		{"UPDATE customers c SET email = 'x' FROM orders o WHERE o.customer_id = c.id RETURNING c.email, o.total", "customers.email, orders.total"},
		{"DELETE FROM customers RETURNING *", "*customers.*"},
		{"INSERT INTO t VALUES (1)", "nil"},
		{"SELECT x INTO new_table FROM t", "nil"},
		{"EXPLAIN SELECT email FROM customers", "nil"},
		{"PREPARE p(int) AS SELECT lower(email) FROM customers WHERE id = $1", "customers.email"},
		{"DECLARE c CURSOR WITH HOLD FOR SELECT lower(email) FROM customers", "customers.email"},
		{"FETCH 10 FROM c", "nil"},
		{"SELECT lower(email) FROM customers JOIN orders USING (id)", "customers/orders.email"},
		{"SELECT *, lower(email) FROM customers JOIN orders USING (id)", "* opaque, * opaque, customers/orders.email"},
		{"SELECT lower(j.email) FROM (customers JOIN orders USING (id)) AS j", "customers.email?+orders.email?"},
		{"SELECT unknown_col FROM (SELECT 1 AS a) s", "opaque"},
		{"WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT n FROM r", "opaque"},
		{"WITH d AS (DELETE FROM customers RETURNING email) SELECT lower(email) FROM d", "customers.email"},
		{"SELECT t.email FROM public.customers t", "public.customers.email"},
		{"SELECT public.customers.email FROM public.customers", "public.customers.email"},
		// What a review found traced as clean.
		{"SELECT mode() WITHIN GROUP (ORDER BY ssn) FROM customers", "customers.ssn"},
		{"SELECT ~(~ip), card_int >> 0, ip << '10.0.0.0/8' FROM logins", "logins.ip, logins.card_int, logins.ip"},
		{"SELECT s.b || '' FROM (SELECT *, 1 FROM customers) s(a, b)", "opaque"},
		{"SELECT (SELECT u.v || '' FROM (SELECT 0 AS ssn) t, (SELECT t.ssn AS v) u) FROM customers t", "customers.ssn"},
		{"SELECT (SELECT u.v || '' FROM (SELECT 0 AS ssn) t, LATERAL (SELECT t.ssn AS v) u) FROM customers t", "-"},
		{"SELECT (SELECT c.ssn || '' FROM ((SELECT 0 AS ssn) c CROSS JOIN (SELECT 1) d) j) FROM customers c", "customers.ssn"},
		{"SELECT * FROM ((SELECT 1 a) x JOIN (SELECT 2 b) y ON true) j, (SELECT dob + 0 v FROM customers) c", "-, -, customers.dob"},
		{"SELECT * FROM unnest(ARRAY[1], ARRAY[2]) u, customers", "* opaque, *customers.*"},
		{"WITH u AS (UPDATE orders SET id = orders.id FROM customers status WHERE true RETURNING status.ssn v) SELECT v || '' FROM u", "customers.ssn"},
		// Names as PostgreSQL gives them: a CASE after its ELSE, a cast of a
		// constant after its type.
		{"SELECT ssn FROM (SELECT CASE WHEN true THEN lower(ssn) ELSE ssn END FROM customers) s", "customers.ssn+customers.ssn"},
		{"SELECT text FROM (SELECT 'a'::text, email FROM customers) s", "-"},
		{"SELECT email FROM (SELECT email::varchar(3) FROM customers) s", "customers.email"},
		// What a second review found.
		{"SELECT j.note FROM (customers JOIN orders ON true) AS j(a, b, note)", "opaque"},
		{"SELECT (SELECT x FROM tickets t, unnest(ARRAY[t.note]) x LIMIT 1) FROM orders t", "tickets.note+tickets/orders.x?+tickets.note"},
		{"SELECT (SELECT note FROM (SELECT (SELECT ssn AS note FROM customers LIMIT 1)) s) FROM orders", "customers/orders.ssn+orders.note?"},
		{"SELECT (SELECT note FROM (SELECT coalesce(ssn, '') FROM customers) s) FROM orders", "orders.note"}, // (s's column is "coalesce")
	} {
		stmts := New(Options{}).Analyze(c.sql)
		if got := render(stmts[0].Lineage); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.sql, got, c.want)
		}
	}
}

// Texts of one fingerprint that differ in aliases trace differently: their
// analysis is not shared.
func TestLineageNotSharedAcrossAliases(t *testing.T) {
	// (pg_query's fingerprint also sorts select lists.)
	o := New(Options{})
	o.Analyze("SELECT 0, dob + 0 FROM customers")
	if got := render(o.Analyze("SELECT dob + 0, 0 FROM customers")[0].Lineage); got != "customers.dob, -" {
		t.Errorf("reordered select list: %s", got)
	}
	a := New(Options{})
	first := a.Analyze("SELECT lower(x) FROM (SELECT email AS x, id AS y FROM customers) s")
	second := a.Analyze("SELECT lower(x) FROM (SELECT email AS y, id AS x FROM customers) s")
	if render(first[0].Lineage) != "customers.email" || render(second[0].Lineage) != "customers.id" {
		t.Fatalf("got %s and %s", render(first[0].Lineage), render(second[0].Lineage))
	}
}

func TestCopyOut(t *testing.T) {
	for _, c := range []struct {
		sql     string
		want    string // CopyOut as format/delimiter/null/quote/escape/header, "nil" for none
		lineage string
	}{
		{"COPY people TO STDOUT", `text/\t/\N/0/0/false`, "*people.*"},
		{"COPY public.people (email, id) TO STDOUT (FORMAT csv, HEADER)", `csv/,//"/"/true`, "public.people.email, public.people.id"},
		{"COPY people TO STDOUT WITH CSV HEADER DELIMITER ';' NULL 'NULL' QUOTE '''' ESCAPE '\\'", `csv/;/NULL/'/\/true`, "*people.*"},
		{"COPY (SELECT lower(email) FROM people) TO STDOUT (FORMAT text, DELIMITER '|')", `text/|/\N/0/0/false`, "people.email"},
		{"COPY people TO STDOUT (FORMAT binary)", `binary/\t/\N/0/0/false`, "*people.*"},
		{"COPY people TO STDOUT (FORMAT csv, FORCE_QUOTE *)", `csv/,//"/"/false`, "*people.*"},
		{"COPY people TO STDOUT (FORMAT xml)", "nil", "*people.*"},
		{"COPY people FROM STDIN", "nil", "nil"},
		{"COPY people TO '/tmp/x'", "nil", "nil"},
	} {
		st := New(Options{}).Analyze(c.sql)[0]
		got := "nil"
		if o := st.CopyOut; o != nil {
			got = fmt.Sprintf("%s/%s/%s/%s/%s/%v", o.Format, printable(o.Delimiter), o.Null, printable(o.Quote), printable(o.Escape), o.Header)
		}
		if got != c.want || render(st.Lineage) != c.lineage {
			t.Errorf("%s: %s %s, want %s %s", c.sql, got, render(st.Lineage), c.want, c.lineage)
		}
	}
}

func printable(b byte) string {
	switch b {
	case 0:
		return "0"
	case '\t':
		return `\t`
	}
	return string(b)
}

// Rows: JSON made of whole rows, masked key by key.
func TestLineageRows(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT row_to_json(c) FROM customers c":                                            true,
		"SELECT to_jsonb(c.*), json_agg(c) FROM customers c":                                true,
		"SELECT json_agg(row_to_json(c)) FROM customers c":                                  true,
		"SELECT json_build_object('email', email) FROM customers":                           false,
		"SELECT row_to_json(s) FROM (SELECT email FROM customers) s":                        false,
		"SELECT to_json(email) FROM customers":                                              false,
		"SELECT row_to_json(c) FROM customers c(email, ssn, id)":                            false,
		"SELECT to_jsonb(x) FROM customers x, (SELECT jsonb_build_object('a', 1) AS x) s":   false,
		"SELECT to_json(ROW(c.*, c)) FROM customers c":                                      false,
		"SELECT row_to_json(x) FROM customers c, LATERAL unnest(ARRAY[c]) AS x(email, ssn)": false,
		"SELECT to_json(regexp_replace(c::text, 'a', 'b')::customers) FROM customers c":     false,
	} {
		for _, o := range New(Options{}).Analyze(sql)[0].Lineage.Branches[0] {
			if o.Rows != want {
				t.Errorf("%s: rows %v, want %v", sql, o.Rows, want)
			}
		}
	}
}

// Direct: which outputs are a column's own values, unchanged.
func TestLineageDirect(t *testing.T) {
	for sql, want := range map[string][]bool{
		"SELECT email, c.email, public.customers.email FROM customers c, public.customers":        {true, true, true},
		"SELECT lower(email), email::varchar(4), substr(email, 1, 3), email || '' FROM customers": {false, false, false, false},
		"SELECT e FROM (SELECT email AS e FROM customers) s":                                      {true},
		"SELECT e FROM (SELECT lower(email) AS e FROM customers) s":                               {false},
		"WITH x AS (SELECT card FROM customers) SELECT card FROM x":                               {true},
		"SELECT (SELECT email FROM customers LIMIT 1), row_to_json(c) FROM customers c":           {false, false},
	} {
		outs := New(Options{}).Analyze(sql)[0].Lineage.Branches[0]
		for i, o := range outs {
			if o.Direct != want[i] {
				t.Errorf("%s: output %d direct %v, want %v", sql, i, o.Direct, want[i])
			}
		}
	}
}

// Written: what an INSERT or UPDATE writes, for its RETURNING.
func TestLineageWritten(t *testing.T) {
	for sql, want := range map[string]string{
		"UPDATE customers SET email = lower(ssn), id = 1 RETURNING id":                                                              "customers.email←customers.ssn",
		"INSERT INTO customers (id, email) SELECT 1, note FROM tickets RETURNING *":                                                 "customers.email←tickets.note",
		"INSERT INTO customers SELECT 1, note FROM tickets RETURNING *":                                                             "customers.*←tickets.note",
		"INSERT INTO customers (email) VALUES ('x') ON CONFLICT (email) DO UPDATE SET email = excluded.email || c2 RETURNING email": "customers.email←customers.c2",
		"DELETE FROM customers RETURNING email":                                                                                     "",
	} {
		var got []string
		for _, w := range New(Options{}).Analyze(sql)[0].Lineage.Written {
			for _, r := range w.From.Refs {
				got = append(got, w.Rel.Name+"."+w.Column+"←"+r.Rels[0].Name+"."+r.Column)
			}
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s: %s, want %s", sql, g, want)
		}
	}
}
