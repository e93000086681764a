package pgwire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
CREATE TABLE people (id int PRIMARY KEY, email text, card_number text, ssn text, notes text, age int);
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
				rows, err := conn.Query(ctx, q, mode)
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
			noneHeld(t, mode.String(), rec.bytes())
		}

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

// psql, the simple protocol's client: masked output, and COPY TO STDOUT
// of a table with sensitive columns is refused rather than sent.
func TestMaskingPsql(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	if err := e.pg.Exec(context.Background(), "shop_prod", "SET ROLE dbward_svc;"+maskingSchema); err != nil {
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
	out, err = run("COPY people TO STDOUT")
	if err == nil || !strings.Contains(out, "mask_copy") {
		t.Errorf("COPY people TO STDOUT: %v\n%s", err, out)
	}
	noneHeld(t, "psql COPY", []byte(out))
	// A function may read what the COPY's text does not name.
	if out, err = run("COPY (SELECT query_to_xml('SELECT * FROM people', true, false, '')) TO STDOUT"); err == nil || !strings.Contains(out, "mask_copy") {
		t.Errorf("COPY of query_to_xml: %v\n%s", err, out)
	}
	noneHeld(t, "psql COPY query_to_xml", []byte(out))
	if out, err = run("COPY (SELECT 1 AS one) TO STDOUT"); err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("COPY of nothing sensitive: %v\n%s", err, out)
	}
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
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		c, rec := e.recordedConn(t, agent, agentToken, "shop")
		var s string
		err := c.QueryRow(ctx, "SELECT lower(email) FROM people WHERE id = 1", mode).Scan(&s)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" || !strings.Contains(pe.Message, "mask_unknown_source") {
			t.Errorf("%v: expression over email: %q, %v", mode, s, err)
		}
		if err := c.QueryRow(ctx, "SELECT email FROM people WHERE id = 1", mode).Scan(&s); err != nil || s != "****" {
			t.Errorf("%v: a traced column: %q, %v", mode, s, err)
		}
		noneHeld(t, mode.String(), rec.bytes())
	}
}
