package pgwire_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/config"
)

func TestLoginFailures(t *testing.T) {
	e := startProxy(t, nil)
	cases := []struct {
		name, url, code, msg string
	}{
		{"wrong token (scram identity)", e.url(alice, "nope", "shop"), "28P01", `password authentication failed for user "alice@example.com"`},
		{"wrong token (hash identity)", e.url(bob, "nope", "shop"), "28P01", `password authentication failed for user "bob@example.com"`},
		{"unknown identity", e.url("mallory", "x", "shop"), "28P01", `password authentication failed for user "mallory"`},
		{"empty token", e.url(bob, "", "shop"), "", ""},
		{"unknown datastore", e.url(bob, bobToken, "nosuchdb"), "3D000", `dbward: datastore "nosuchdb" does not exist`},
		{"SJIS client encoding", e.url(bob, bobToken, "shop") + "&client_encoding=SJIS", "0A000", "dbward: the startup setting client_encoding is not supported"},
		{"scs off in options", e.url(bob, bobToken, "shop") + "&options=-c%20standard_conforming_strings%3Doff", "0A000", "dbward: the startup setting standard_conforming_strings is not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, c.url)
			if err == nil {
				conn.Close(ctx)
				t.Fatal("login succeeded")
			}
			if strings.Contains(err.Error(), svcPass) || strings.Contains(err.Error(), bobToken) {
				t.Fatalf("a secret leaked into the error: %v", err)
			}
			if c.code == "" {
				return
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != c.code || pe.Message != c.msg || pe.Severity != "FATAL" {
				t.Fatalf("want FATAL %s %q, got %v", c.code, c.msg, err)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	e := startProxy(t, func(c *config.Config) { c.TLS.Require = true })
	ctx := context.Background()
	// Cleartext password (bob) and SCRAM (alice) inside TLS.
	for _, who := range []string{bob, alice} {
		c, err := pgx.Connect(ctx, strings.Replace(e.url(who, tokens[who], "shop"), "sslmode=disable", "sslmode=require", 1))
		if err != nil {
			t.Fatalf("%s over TLS: %v", who, err)
		}
		if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
			t.Errorf("%s: connection is not TLS", who)
		}
		c.Close(ctx)
	}
	_, err := pgx.Connect(ctx, e.url(bob, bobToken, "shop"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || !strings.Contains(pe.Message, "requires TLS") {
		t.Fatalf("plain connection with tls.require: want 28000, got %v", err)
	}
}

// Raw protocol: GSSENCRequest is refused with 'N' and the client may go on;
// malformed and oversized startup packets get a clean FATAL.
func TestStartupPackets(t *testing.T) {
	e := startProxy(t, nil)
	dial := func(t *testing.T) net.Conn {
		nc, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	packet := func(code uint32, body ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		b = binary.BigEndian.AppendUint32(b, code)
		return append(b, body...)
	}
	t.Run("gssenc refused", func(t *testing.T) {
		nc := dial(t)
		nc.Write(packet(80877104))
		var b [1]byte
		if _, err := io.ReadFull(nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("GSSENCRequest: got %q %v", b, err)
		}
		nc.Write(packet(196608, []byte("user\x00mallory\x00database\x00shop\x00\x00")...))
		if _, err := io.ReadFull(nc, b[:]); err != nil || b[0] != 'R' {
			t.Fatalf("startup after GSSENC refusal: got %q %v", b, err)
		}
	})
	for name, pkt := range map[string][]byte{
		"bad protocol":  packet(0x00020000),
		"huge length":   {0x7f, 0, 0, 0, 0, 0, 0, 0},
		"short length":  {0, 0, 0, 2},
		"no terminator": packet(196608, []byte("user\x00bob")...),
	} {
		t.Run(name, func(t *testing.T) {
			nc := dial(t)
			nc.Write(pkt)
			reply, _ := io.ReadAll(nc)
			if len(reply) == 0 || reply[0] != 'E' || !strings.Contains(string(reply), "08P01") {
				t.Fatalf("want ErrorResponse 08P01, got %q", reply)
			}
		})
	}
}

// A client_encoding dbward refuses from the client, set instead by the
// role's defaults on the database, ends the session before it starts:
// dbward would read SQL (and split COPY rows) otherwise than the server.
func TestRoleDefaultEncodingRefused(t *testing.T) {
	e := startProxy(t, nil)
	ctx := context.Background()
	if err := e.pg.Exec(ctx, "shop_prod", "ALTER ROLE dbward_svc IN DATABASE shop_prod SET client_encoding = 'SJIS'"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := e.pg.Exec(ctx, "shop_prod", "ALTER ROLE dbward_svc IN DATABASE shop_prod RESET client_encoding"); err != nil {
			t.Fatal(err)
		}
	}()
	cfg, err := pgx.ParseConfig(e.url(bob, bobToken, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.RuntimeParams, "client_encoding") // (the client leaves it to the server)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		conn.Close(ctx)
		t.Fatal("a session under SJIS started")
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, "client_encoding") {
		t.Fatalf("got %v", err)
	}
}
