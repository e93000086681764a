package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/config"
)

// Sensitive values of the masking tests' table: none of them may reach a
// client whose policy masks them, in any form a query can give them.
var held = []string{"jane.roe@corp-mail.net", "4111 1111 1111 1111", "4111111111111111", "536-22-8726", "AKIAIOSFODNN7EXAMPLF"}

const maskingSchema = `
CREATE TABLE people (id int PRIMARY KEY, email text UNIQUE, card_number text, ssn text, notes text, age int);
INSERT INTO people VALUES
  (1, 'jane.roe@corp-mail.net', '4111 1111 1111 1111', '536-22-8726', 'call jane.roe@corp-mail.net, key AKIAIOSFODNN7EXAMPLF', 41),
  (2, NULL, NULL, NULL, 'order 1234567812345678 shipped', 29);
CREATE VIEW contacts AS SELECT id, email AS contact FROM people;
GRANT ALL ON people, contacts TO dbward_svc;
`

// recorder keeps every byte a client receives.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	got bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.got.Bytes())
}

// recordedConn connects with pgx through the proxy, keeping what it reads.
func (e *env) recordedConn(t *testing.T, user, token, datastore string) (*pgx.Conn, *recorder) {
	t.Helper()
	cfg, err := pgx.ParseConfig(e.url(user, token, datastore))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		rec.Conn = c
		return rec, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, rec
}

// decodeRows runs q and decodes every row (masked values must stay valid
// for their types); it fails the test on an error or no rows.
func decodeRows(t *testing.T, c *pgx.Conn, q string, mode pgx.QueryExecMode) {
	t.Helper()
	rows, err := c.Query(context.Background(), q, mode)
	if err != nil {
		t.Fatalf("%v %q: %v", mode, q, err)
	}
	n := 0
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			t.Fatalf("%v %q: decoding a masked row: %v", mode, q, err)
		}
		n++
	}
	if err := rows.Err(); err != nil || n == 0 {
		t.Fatalf("%v %q: %d rows, %v", mode, q, n, err)
	}
}

func noneHeld(t *testing.T, what string, got []byte) {
	t.Helper()
	for _, h := range held {
		if bytes.Contains(got, []byte(h)) {
			t.Errorf("%s: the client received %q", what, h)
		}
	}
}

// Every way of reaching a sensitive value gives it masked to an agent in
// prod: the column by name, an alias, SELECT *, a view, expressions,
// JSON, a set operation, a CTE; in pgx's binary and text formats (extended
// protocol) and psql's simple protocol; the raw bytes the client receives
// never hold a clear value.
func TestMaskingHidesSensitiveValues(t *testing.T) {
	eachRelay(t, func(t *testing.T, e *env) {
		resetDB(t, e.pg, "shop_prod")
		if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
			t.Fatal(err)
		}
		queries := []string{
			"SELECT email, card_number, ssn, notes, age FROM people ORDER BY id",
			"SELECT email AS e, card_number AS c FROM people",
			"SELECT * FROM people",
			"SELECT contact FROM contacts",
			"SELECT lower(email), email || '', upper(ssn) FROM people",
			"SELECT row_to_json(p) FROM people p",
			"SELECT json_agg(p.*)::text FROM people p",
			"SELECT email FROM people UNION SELECT 'nobody@example.org'",
			"WITH c AS (SELECT email, card_number FROM people) SELECT * FROM c",
			"SELECT replace(card_number, ' ', '')::bigint FROM people WHERE id = 1",
		}
		ctx := context.Background()
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
			conn, rec := e.recordedConn(t, agent, agentToken, "shop")
			for _, q := range queries {
				decodeRows(t, conn, q, mode)
			}
			noneHeld(t, mode.String(), rec.bytes())
		}
		// COPY rows, as pgx reads them.
		conn, rec := e.recordedConn(t, agent, agentToken, "shop")
		for _, q := range []string{"COPY people TO STDOUT", "COPY (SELECT * FROM contacts) TO STDOUT (FORMAT csv)", "COPY (SELECT row_to_json(p) FROM people p) TO STDOUT"} {
			var buf bytes.Buffer
			if tag, err := conn.PgConn().CopyTo(ctx, &buf, q); err != nil || tag.RowsAffected() != 2 || buf.Len() == 0 {
				t.Fatalf("%q: %v %v", q, tag, err)
			}
		}
		noneHeld(t, "pgx CopyTo", rec.bytes())

		// What is masked still tells records apart: the email's domain.
		var email string
		c := e.connect(t, agent, agentToken, "shop")
		if err := c.QueryRow(ctx, "SELECT email FROM people WHERE id = 1").Scan(&email); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(email, "@corp-mail.net") || email == held[0] {
			t.Errorf("partially masked email is %q", email)
		}
		// NULL stays NULL; numbers nobody classified stay as they are.
		var card *string
		var age int
		if err := c.QueryRow(ctx, "SELECT card_number, age FROM people WHERE id = 2").Scan(&card, &age); err != nil || card != nil || age != 29 {
			t.Errorf("row 2: card %v age %d, %v", card, age, err)
		}
		// A 16-digit order number that fails Luhn is not a card.
		var notes string
		if err := c.QueryRow(ctx, "SELECT notes FROM people WHERE id = 2").Scan(&notes); err != nil || notes != "order 1234567812345678 shipped" {
			t.Errorf("row 2 notes %q, %v", notes, err)
		}

		// A dba in dev sees clear text; the same dba in prod does not.
		if err := e.pg.Exec(ctx, "shop_dev", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
			t.Fatal(err)
		}
		for ds, clear := range map[string]bool{"shopdev": true, "shop": false} {
			if err := e.connect(t, alice, aliceToken, ds).QueryRow(ctx, "SELECT email FROM people WHERE id = 1").Scan(&email); err != nil {
				t.Fatal(err)
			}
			if (email == held[0]) != clear {
				t.Errorf("alice in %s sees %q", ds, email)
			}
		}
		resetDB(t, e.pg, "shop_dev")
	})
}

// psql, the simple protocol's client: masked output, masked COPY rows,
// and binary COPY of a table with sensitive columns refused.
func TestMaskingPsql(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	// (COPY of a table leaves its generated columns out: dbward knows.)
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc; ALTER TABLE people ADD COLUMN domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED"); err != nil {
		t.Fatal(err)
	}
	run := func(sql string) (string, error) {
		out, errs, code := e.psql(t, agent, "shop", "-A", "-t", "-c", sql)
		if code != 0 {
			return out + errs, fmt.Errorf("psql exit %d", code)
		}
		return out, nil
	}
	out, err := run("SELECT * FROM people ORDER BY id")
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	noneHeld(t, "psql", []byte(out))
	if !strings.Contains(out, "@corp-mail.net") || !strings.Contains(out, "1111") {
		t.Errorf("psql output lost what partial masking keeps:\n%s", out)
	}
	// COPY … TO STDOUT is masked as the equivalent SELECT: in text and
	// CSV formats, of a table or a query, through psql's COPY and \copy.
	for sql, want := range map[string][]string{
		"COPY people TO STDOUT": {"1\t****@corp-mail.net\t**** **** **** 1111\t****\t", "2\t\\N\t\\N\t\\N\torder 1234567812345678 shipped\t29"},
		"COPY people (id, ssn) TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)":                                                   {"id,ssn", `"1","****"`, `"2",`},
		`\copy (SELECT id, substr(ssn, 1, 6), lower(email) FROM people ORDER BY id) to stdout with (format csv, delimiter ';')`: {"1;****;****\n", "2;;"},
		// A built-in that runs a query: masked as what that query reads.
		"COPY (SELECT query_to_xml('SELECT * FROM people', true, false, '')) TO STDOUT": {"****"},
		"COPY (SELECT 1 AS one) TO STDOUT":                                              {"1"},
		"COPY (SELECT FROM people) TO STDOUT":                                           {"\n\n"}, // rows of no columns
	} {
		out, err := run(sql)
		if err != nil {
			t.Errorf("%s: %v\n%s", sql, err, out)
			continue
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", sql, w, out)
			}
		}
		noneHeld(t, sql, []byte(out))
		if strings.Contains(out, "536-22") {
			t.Errorf("%s: a prefix of the SSN in\n%s", sql, out)
		}
	}
	// HEADER is read as PostgreSQL reads it: 'OFF' is no header, and
	// the first row is a row.
	if out, err := run("COPY (SELECT ssn FROM people ORDER BY id) TO STDOUT (FORMAT csv, HEADER 'OFF')"); err != nil || strings.Contains(out, "536-22") || !strings.HasPrefix(out, "****") {
		t.Errorf("HEADER 'OFF': %v\n%s", err, out)
	}
	// Rows whose columns lineage cannot line up (a star over a
	// composite, over a join USING) are not sent: no table OIDs say what
	// a COPY's columns are.
	for _, q := range []string{"COPY (SELECT (p).* FROM people p) TO STDOUT", "COPY (SELECT * FROM people JOIN contacts USING (id)) TO STDOUT"} {
		out, err := run(q)
		if err == nil || !strings.Contains(out, "mask_unknown_source") {
			t.Errorf("%s: %v\n%s", q, err, out)
		}
		noneHeld(t, q, []byte(out))
	}
	// Binary rows are not masked: refused.
	out, err = run("COPY people TO STDOUT (FORMAT binary)")
	if err == nil || !strings.Contains(out, "mask_copy") {
		t.Errorf("binary COPY: %v\n%s", err, out)
	}
	noneHeld(t, "psql binary COPY", []byte(out))
}

// A client that executes a portal it never described gets its rows masked
// all the same: dbward describes the portal itself and keeps the answer to
// itself, so the client sees exactly the messages it expects.
func TestMaskingUndescribedPortal(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	conn := e.rawSession(t, agent, agentToken, "shop", 10*time.Second)
	rec := &recorder{Conn: conn}
	fe := pgproto3.NewFrontend(rec, conn)
	fe.Send(&pgproto3.Parse{Query: "SELECT email, notes FROM people WHERE id = $1"})
	fe.Send(&pgproto3.Bind{Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{1}})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%T", msg))
		if row, ok := msg.(*pgproto3.DataRow); ok && (len(row.Values) != 2 || !bytes.HasSuffix(row.Values[0], []byte("@corp-mail.net"))) {
			t.Errorf("row %q", row.Values)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	want := "[*pgproto3.ParseComplete *pgproto3.BindComplete *pgproto3.DataRow *pgproto3.CommandComplete *pgproto3.ReadyForQuery]"
	if fmt.Sprint(got) != want {
		t.Errorf("messages %v, want %s", got, want)
	}
	noneHeld(t, "undescribed portal", rec.bytes())
}

// A mask with "unknown": "refuse" refuses results with a column whose
// source dbward cannot trace; traced columns are masked as usual, and the
// session goes on.
func TestMaskingRefusesUnknownSources(t *testing.T) {
	dir := t.TempDir()
	policy := "package dbward\n\nmasks.mask_sensitive := {\"*\": \"redact\", \"unknown\": \"refuse\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "strict.rego"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startProxy(t, func(c *config.Config) { c.Policy.Paths = []string{dir} })
	resetDB(t, e.pg, "shop_prod")
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.pg.Exec(ctx, "shop_prod", `SET ROLE dbward_svc;
		CREATE FUNCTION email_of(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT email FROM people WHERE id = $1'`); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		c, rec := e.recordedConn(t, agent, agentToken, "shop")
		var s string
		// A function dbward cannot see into may return anything.
		err := c.QueryRow(ctx, "SELECT email_of(1)", mode).Scan(&s)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" || !strings.Contains(pe.Message, "mask_unknown_source") {
			t.Errorf("%v: a user function: %q, %v", mode, s, err)
		}
		// An expression over a classified column is traced to it, and
		// masked as it is; one over nothing classified is not refused.
		for q, want := range map[string]string{
			"SELECT email FROM people WHERE id = 1":                         "****",
			"SELECT lower(email) FROM people WHERE id = 1":                  "****",
			"SELECT (now()::date = current_date)::text FROM people LIMIT 1": "true",
			"SELECT count(email)::text FROM people":                         "1",
			"SELECT upper(notes) FROM people WHERE id = 2":                  "ORDER 1234567812345678 SHIPPED",
			"SELECT 'literal' UNION SELECT 'literal'":                       "literal",
		} {
			if err := c.QueryRow(ctx, q, mode).Scan(&s); err != nil || s != want {
				t.Errorf("%v %q: %q, %v; want %q", mode, q, s, err, want)
			}
		}
		noneHeld(t, mode.String(), rec.bytes())
	}
}

// Lineage: a column PostgreSQL names no source for (an expression, an
// aggregate, a set operation) is traced through the statement's parse
// tree, and a view's columns through its definition, to the classified
// columns they are computed from — so a prefix of a card number or an
// SSN, which no content detector could recognise, is masked too; a count
// or a length stays clear.
func TestMaskingTracesLineage(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	if err := e.pg.Exec(ctx, "shop_prod", "SET ROLE dbward_svc;"+maskingSchema+`
		CREATE VIEW people_digest AS SELECT id, lower(email) AS mail, substr(ssn, 1, 6) AS ssn_prefix, substr(card_number, 1, 4) AS c4 FROM people;
		CREATE VIEW digest_of_digest AS SELECT mail AS m, ssn_prefix AS p FROM people_digest;
		GRANT ALL ON people_digest, digest_of_digest TO dbward_svc;`); err != nil {
		t.Fatal(err)
	}
	// What the clear values would be, read directly.
	direct := e.direct(t, "shop_prod")
	clear := map[string]string{}
	queries := []string{
		"SELECT substr(card_number, 1, 14) FROM people WHERE id = 1",
		"SELECT md5(email) FROM people WHERE id = 1",
		"SELECT max(ssn) FROM people",
		"SELECT left(ssn, 6) FROM people WHERE id = 1",
		"SELECT x FROM (SELECT substr(ssn, 1, 6) AS x FROM people WHERE id = 1) s",
		"WITH p AS (SELECT ssn AS s FROM people WHERE id = 1) SELECT s || '' FROM p",
		"SELECT ssn_prefix FROM people_digest WHERE id = 1",
		"SELECT p FROM digest_of_digest WHERE p IS NOT NULL",
		"SELECT upper(p) FROM digest_of_digest WHERE p IS NOT NULL",
		"SELECT 'x' || ssn FROM people WHERE id = 1 UNION ALL SELECT 'none'",
		"SELECT coalesce(ssn, 'n/a') FROM people WHERE id = 1",
		// A mask that keeps the last digits must not keep a slice's.
		"SELECT substr(card_number, 1, 4) FROM people WHERE id = 1",
		"SELECT c4 FROM people_digest WHERE id = 1",
		"SELECT row_to_json(s)::text FROM (SELECT substr(card_number, 1, 4) AS card_number FROM people WHERE id = 1) s",
	}
	for _, q := range queries {
		var s string
		if err := direct.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("direct %q: %v", q, err)
		}
		clear[q] = s
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		c, rec := e.recordedConn(t, agent, agentToken, "shop")
		for _, q := range queries {
			rows, err := c.Query(ctx, q, mode)
			if err != nil {
				t.Fatalf("%v %q: %v", mode, q, err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatalf("%v %q: %v", mode, q, err)
				}
				if s == clear[q] {
					t.Errorf("%v %q: the client got the clear value %q", mode, q, s)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%v %q: %v", mode, q, err)
			}
			if strings.Contains(string(rec.bytes()), clear[q]) || strings.Contains(q, "card_number, 1, 4") && strings.Contains(string(rec.bytes()), "4111") {
				t.Errorf("%v %q: the clear value %q reached the client", mode, q, clear[q])
			}
		}
		// Errors tell values too: PostgreSQL quotes what it cannot cast.
		if _, err := c.Exec(ctx, "SELECT ssn::int FROM people WHERE id = 1", mode); err == nil || !strings.Contains(err.Error(), "22P02") {
			t.Errorf("%v: a cast of the ssn: %v", mode, err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO people (id, email) SELECT 3, email FROM people WHERE id = 1", mode); err == nil {
			t.Errorf("%v: a duplicate insert: %v", mode, err)
		}
		// Counts and lengths tell no value, and stay as they are.
		var n, l int
		var total string
		if err := c.QueryRow(ctx, "SELECT count(ssn)::int, max(length(email)), sum(age)::text FROM people WHERE id = 1", mode).Scan(&n, &l, &total); err != nil || n != 1 || l != len(held[0]) || total != "41" {
			t.Errorf("%v: count %d length %d sum %s, %v", mode, n, l, total, err)
		}
		// JSON made of a row keeps its shape: each classified column's
		// value is masked as the column is, the rest stays (json in text,
		// jsonb in pgx's binary format).
		for _, q := range []string{"SELECT row_to_json(p) FROM people p WHERE id = 1", "SELECT to_jsonb(p) FROM people p WHERE id = 1"} {
			var doc map[string]any
			if err := c.QueryRow(ctx, q, mode).Scan(&doc); err != nil {
				t.Fatalf("%v %q: %v", mode, q, err)
			}
			email, _ := doc["email"].(string)
			if doc["id"] != float64(1) || doc["age"] != float64(41) || !strings.HasSuffix(email, "@corp-mail.net") || email == held[0] || doc["ssn"] == "536-22-8726" {
				t.Errorf("%v %q: %v", mode, q, doc)
			}
		}
		noneHeld(t, mode.String(), rec.bytes())
	}
	// Rows read through a cursor are traced through its DECLARE: psql
	// with FETCH_COUNT reads every result so.
	out, errs, code := e.psql(t, agent, "shop", "-A", "-t", "-v", "FETCH_COUNT=1", "-c", "SELECT substr(ssn, 1, 6), lower(email) FROM people ORDER BY id")
	if code != 0 || strings.Contains(out, "536-22") || !strings.Contains(out, "****") {
		t.Errorf("psql with FETCH_COUNT: exit %d %s\n%s", code, errs, out)
	}
	// What a function raises while masked results are read.
	c, rec := e.recordedConn(t, agent, agentToken, "shop")
	var pe *pgconn.PgError
	if _, err := c.Exec(ctx, "DO $$ BEGIN RAISE NOTICE 'ssn %', (SELECT ssn FROM people WHERE id = 1); END $$"); !errors.As(err, &pe) || !strings.Contains(pe.Message, "mask_side_channel") {
		t.Errorf("a DO block that reads masked data: %v", err)
	}
	noneHeld(t, "RAISE NOTICE", rec.bytes())
	// The dba in dev sees expressions in clear, as the columns.
	if err := e.pg.Exec(ctx, "shop_dev", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	defer resetDB(t, e.pg, "shop_dev")
	var s string
	if err := e.connect(t, alice, aliceToken, "shopdev").QueryRow(ctx, "SELECT upper(ssn) FROM people WHERE id = 1").Scan(&s); err != nil || s != "536-22-8726" {
		t.Errorf("alice in dev: %q, %v", s, err)
	}
}

// A masked result streams through in constant memory, however large: a
// 1 GB result (a million rows of 1 KB, each with an email the detectors
// find) passes with dbward's heap growing by a bounded amount.
func TestMaskingStreamsLargeResults(t *testing.T) {
	e := startProxy(t, nil)
	ctx := context.Background()
	c := e.connect(t, agent, agentToken, "shop")
	const rows = 1_000_000
	q := fmt.Sprintf(`SELECT i, 'user' || i || '@corp-mail.net' AS email, repeat('lorem ipsum ', 84) AS notes
		FROM generate_series(1, %d) i`, rows)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	r, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	var n, size int
	for r.Next() {
		vals := r.RawValues()
		for _, v := range vals {
			size += len(v)
		}
		if n == 0 && strings.Contains(string(vals[1]), "user1@") {
			t.Errorf("the first row's email is in clear: %q", vals[1])
		}
		n++
	}
	close(done)
	<-sampled
	if err := r.Err(); err != nil || n != rows {
		t.Fatalf("%d rows, %v", n, err)
	}
	if size < 1e9 {
		t.Fatalf("only %d bytes streamed", size)
	}
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("%d rows, %d MB through dbward; heap in use grew by %d MB at most", n, size>>20, grew>>20)
	if grew > 64<<20 {
		t.Errorf("heap in use grew by %d MB while streaming", grew>>20)
	}
}

// A portal dbward did not see made by Parse and Bind — a statement a SQL
// PREPARE made, bound by name; a cursor a SQL DECLARE opened, executed by
// name — runs what dbward cannot know: judged as the most dangerous thing
// it could be (refused to the agent in prod), its rows never relayed raw.
func TestMaskingUnknownPortals(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	conn := e.rawSession(t, agent, agentToken, "shop", 10*time.Second)
	var sent []byte
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Query{String: "PREPARE p AS SELECT email, ssn FROM people"},
		&pgproto3.Query{String: "BEGIN; DECLARE c CURSOR FOR SELECT email, ssn FROM people"},
		&pgproto3.Bind{PreparedStatement: "p"}, &pgproto3.Execute{}, &pgproto3.Sync{},
		&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{},
	} {
		sent, _ = m.Encode(sent)
	}
	if _, err := conn.Write(sent); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: conn}
	fe := pgproto3.NewFrontend(rec, conn)
	refused := 0
	for ready := 0; ready < 4; {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			t.Errorf("a row came: %q", m.Values)
		case *pgproto3.ErrorResponse:
			if m.Code == "42501" {
				refused++
			}
		case *pgproto3.ReadyForQuery:
			ready++
		}
	}
	if refused != 2 {
		t.Errorf("%d of 2 unknown portals refused", refused)
	}
	noneHeld(t, "unknown portals", rec.bytes())
}

// Side doors a review found: a classified value inside a function dbward
// cannot see into, a whole row as one column, a table function, and an
// EXECUTE of a name PREPAREd twice. None returns a value in clear.
func TestMaskingClosesSideDoors(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	const secret = "hunter2pass-zq"
	if err := e.pg.Exec(ctx, "shop_prod", "SET ROLE dbward_svc;"+maskingSchema+`
		CREATE TABLE vault (id int, api_secret text);
		INSERT INTO vault VALUES (1, '`+secret+`');
		CREATE VIEW labels AS SELECT id, textcat(api_secret, '') AS label FROM vault;
		GRANT ALL ON vault, labels TO dbward_svc;`); err != nil {
		t.Fatal(err)
	}
	c, rec := e.recordedConn(t, agent, agentToken, "shop")
	for _, q := range []string{
		"SELECT textcat(api_secret, '') FROM vault",
		"SELECT v FROM vault v",
		"SELECT v::text FROM vault v",
		"SELECT table_to_xml('vault', true, false, '')",
		"SELECT query_to_xml('SELECT api_secret FROM vault', true, false, '')",
		"SELECT label FROM labels", // (a view column dbward cannot trace, over a secret)
	} {
		readAll(t, c, rec, q, secret)
	}
	// A fourth review: names PostgreSQL gives computed columns (a CASE is
	// named after its ELSE), a decoy whole-row name, a `*` that cannot be
	// lined up, a table function over a classified column.
	const tr = "translate(ssn, '0123456789', 'ABCDEFGHIJ')"
	for _, q := range []string{
		"SELECT ssn FROM (SELECT CASE WHEN true THEN " + tr + " ELSE ssn END FROM people WHERE id = 1) s",
		"SELECT to_jsonb(x) FROM people x, (SELECT jsonb_build_object('email', 0, 'leak', " + tr + ") AS x FROM people WHERE id = 1) s",
		"SELECT " + tr + " AS a, * FROM people, json_each('{\"a\": 1}') j WHERE id = 1",
		"SELECT x FROM people p, XMLTABLE('/r' PASSING xmlelement(name r, translate(p.ssn, '0123456789', 'ABCDEFGHIJ')) COLUMNS x text PATH '.') WHERE id = 1",
	} {
		readAll(t, c, rec, q, "FDG-CC-IHCG")
	}
	// Ways out other than rows: refused when the statement reads masked
	// data; errors over it withhold what they quote.
	for _, q := range []string{
		"SELECT count(pg_notify('ch', api_secret)) FROM vault",
		"SELECT set_config('application_name', api_secret, false) FROM vault",
		"SELECT lo_from_bytea(4242, convert_to(api_secret, 'UTF8')) FROM vault",
		"SELECT most_common_vals FROM pg_stats WHERE attname = 'api_secret'",
		"SELECT query FROM pg_stat_activity",
	} {
		var pe *pgconn.PgError
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); !errors.As(err, &pe) || !strings.Contains(pe.Message, "dbward: blocked by mask_") {
			t.Errorf("%q: %v", q, err)
		}
	}
	if _, err := c.Exec(ctx, "SELECT api_secret::regclass FROM vault", pgx.QueryExecModeSimpleProtocol); err == nil {
		t.Error("a cast of the secret to regclass succeeded")
	}
	// A second PREPARE of a name fails, and the server keeps the first:
	// EXECUTE is never judged as the second (the name is unknown while a
	// definition of it is pending, and one that fails defines nothing).
	if _, err := c.Exec(ctx, "PREPARE s AS SELECT textcat(api_secret, '') AS x FROM vault", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "PREPARE s AS SELECT 'a'::text AS x", pgx.QueryExecModeSimpleProtocol); err == nil {
		t.Fatal("a second PREPARE of s succeeded")
	}
	_, _ = c.Exec(ctx, "EXECUTE s", pgx.QueryExecModeSimpleProtocol) // (refused as unknown, or run masked)
	if strings.Contains(string(rec.bytes()), secret) {
		t.Fatal("EXECUTE s: the secret reached the client")
	}
	// A FETCH prepared through the protocol runs the cursor the session
	// has when it is executed, not the one it had when parsed.
	if _, err := c.Exec(ctx, "DECLARE cur CURSOR WITH HOLD FOR SELECT 'harmless'::text AS x", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare(ctx, "f", "FETCH ALL FROM cur"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CLOSE cur; DECLARE cur CURSOR WITH HOLD FOR SELECT textcat(api_secret, '') AS x FROM vault", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil || strings.Contains(string(rec.bytes()), secret) {
		t.Fatalf("FETCH of a re-declared cursor: %v, secret received: %v", err, strings.Contains(string(rec.bytes()), secret))
	}
	// (A person writes: an agent's writes in prod wait for approval.)
	w, wrec := e.recordedConn(t, bob, bobToken, "shop")
	writesShowNoSecret(t, w, wrec)
	if strings.Contains(string(wrec.bytes()), secret) {
		t.Error("writes: the secret reached the client")
	}
	// Nor does a PREPARE after an error in the same string.
	if _, err := c.Exec(ctx, "SELECT 1/0; DEALLOCATE s; PREPARE s AS SELECT 'a'::text AS x", pgx.QueryExecModeSimpleProtocol); err == nil {
		t.Fatal("1/0 succeeded")
	}
	_, _ = c.Exec(ctx, "EXECUTE s", pgx.QueryExecModeSimpleProtocol) // (refused as unknown, or run masked)
	if strings.Contains(string(rec.bytes()), secret) {
		t.Fatal("EXECUTE s after 1/0: the secret reached the client")
	}
	if strings.Contains(string(rec.bytes()), secret) {
		t.Error("the secret reached the client")
	}
}

// writesShowNoSecret checks that RETURNING shows what a statement wrote,
// not the column's own value: a partly masked email column does not keep
// part of a secret; and that writes which would launder masked data into
// a column that does not mask it are refused.
func writesShowNoSecret(t *testing.T, c *pgx.Conn, rec *recorder) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Exec(ctx, "BEGIN", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	// (A write of a secret into an email column is refused outright:
	// see mask_launder below. Same-class writes return masked.)
	readAll(t, c, rec, "UPDATE people SET email = lower(email) WHERE id = 1 RETURNING email, *", "jane.roe@corp-mail.net")
	for _, q := range []string{
		"UPDATE people SET email = (SELECT '@' || reverse(api_secret) FROM vault) WHERE id = 1 RETURNING email",
		"INSERT INTO people (id, email) SELECT 9, 'x@' || reverse(api_secret) FROM vault RETURNING email, lower(email)",
		// Data copied into a column that does not mask it would be read
		// in clear later: refused.
		"UPDATE people SET notes = translate(ssn, '0123456789', 'ABCDEFGHIJ') WHERE id = 1",
		"INSERT INTO people (id, notes) SELECT 101, api_secret FROM vault",
		"INSERT INTO people SELECT 102, api_secret FROM vault",
	} {
		var pe *pgconn.PgError
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); !errors.As(err, &pe) || !strings.Contains(pe.Message, "mask_launder") {
			t.Errorf("%q: %v", q, err)
		}
		if _, err := c.Exec(ctx, "ROLLBACK; BEGIN", pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
}

// readAll runs q and reads its rows; the value held must not be among the
// bytes the client has received.
func readAll(t *testing.T, c *pgx.Conn, rec *recorder, q, held string) {
	t.Helper()
	rows, err := c.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	if strings.Contains(string(rec.bytes()), held) {
		t.Fatalf("%q: %q reached the client", q, held)
	}
}

// A sixth review: names shared by protocol portals and SQL cursors (and by
// protocol and SQL prepared statements), names redefined earlier in the
// same string, DML in a CTE, and the functions behind pg_stat_activity.
func TestMaskingNamesAndNamespaces(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	if err := e.pg.Exec(ctx, "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
		t.Fatal(err)
	}
	const enc = "FDG-CC-IHCG" // translate() of the ssn
	// A protocol portal read with SQL FETCH.
	got := e.exchange(t, 4, &pgproto3.Query{String: "BEGIN"},
		&pgproto3.Parse{Query: "SELECT translate(ssn, '0123456789', 'ABCDEFGHIJ') FROM people WHERE id = 1"},
		&pgproto3.Bind{DestinationPortal: "p"}, &pgproto3.Sync{},
		&pgproto3.Query{String: "FETCH ALL p"}, &pgproto3.Query{String: "ROLLBACK"})
	if strings.Contains(string(got), enc) {
		t.Error("FETCH of a protocol portal: the encoded ssn reached the client")
	}

	// Definitions pipelined in one flush: the name is unknown until its
	// definition completes.
	got = e.exchange(t, 4, &pgproto3.Query{String: "PREPARE q AS SELECT 'a'::text"}, &pgproto3.Query{String: "DEALLOCATE q"},
		&pgproto3.Query{String: "PREPARE q AS SELECT translate(ssn, '0123456789', 'ABCDEFGHIJ') FROM people"},
		&pgproto3.Query{String: "EXECUTE q"})
	if strings.Contains(string(got), enc) {
		t.Error("pipelined DEALLOCATE, PREPARE, EXECUTE: the encoded ssn reached the client")
	}

	c, rc := e.recordedConn(t, agent, agentToken, "shop")
	// Numbers in errors over classified data are withheld too.
	_, _ = c.Exec(ctx, "SELECT make_time(split_part(ssn, '-', 1)::int, 0, 0) FROM people WHERE id = 1", pgx.QueryExecModeSimpleProtocol)
	if strings.Contains(string(rc.bytes()), "536") {
		t.Error("a number from the ssn reached the client in an error")
	}
	// A name redefined earlier in the same string is not judged by what
	// it was before.
	if _, err := c.Exec(ctx, "PREPARE s AS SELECT 'a'::text", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Exec(ctx, "DEALLOCATE s; PREPARE s AS SELECT translate(ssn, '0123456789', 'ABCDEFGHIJ') FROM people; EXECUTE s", pgx.QueryExecModeSimpleProtocol)
	// DML in a CTE: its RETURNING is masked as what it wrote.
	if _, err := c.Exec(ctx, "BEGIN", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	// (Refused outright: a masked value written into notes.)
	_, _ = c.Exec(ctx, "WITH x AS (UPDATE people SET notes = translate(ssn, '0123456789', 'ABCDEFGHIJ') WHERE id = 1 RETURNING notes) SELECT notes FROM x", pgx.QueryExecModeSimpleProtocol)
	if _, err := c.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	var pe *pgconn.PgError
	if _, err := c.Exec(ctx, "SELECT query FROM pg_stat_get_activity(NULL)", pgx.QueryExecModeSimpleProtocol); !errors.As(err, &pe) || !strings.Contains(pe.Message, "mask_statistics") {
		t.Errorf("pg_stat_get_activity: %v", err)
	}
	if strings.Contains(string(rc.bytes()), enc) {
		t.Error("the encoded ssn reached the client")
	}
}

// exchange sends msgs in one flush as the agent, on a session of its own,
// and returns every byte received up to the readies-th ReadyForQuery.
func (e *env) exchange(t *testing.T, readies int, msgs ...pgproto3.FrontendMessage) []byte {
	t.Helper()
	conn := e.rawSession(t, agent, agentToken, "shop", 10*time.Second)
	var sent []byte
	for _, m := range msgs {
		sent, _ = m.Encode(sent)
	}
	if _, err := conn.Write(sent); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: conn}
	fe := pgproto3.NewFrontend(rec, conn)
	for ready := 0; ready < readies; {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			ready++
		}
	}
	return rec.bytes()
}
