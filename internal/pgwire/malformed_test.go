package pgwire_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Malformed messages after login end that session with a clear FATAL;
// other sessions go on as if nothing happened.
func TestMalformedMessagesMidSession(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	bystander := e.connect(t, bob, bobToken, "shop")
	cases := map[string][]byte{
		"length below 4":    {'Q', 0, 0, 0, 2},
		"negative length":   {'Q', 0xff, 0xff, 0xff, 0xf0},
		"over the limit":    {'Q', 0x7f, 0xff, 0xff, 0xff},
		"query without NUL": append([]byte{'Q', 0, 0, 0, 8}, "SELE"...),
		"parse without NUL": append([]byte{'P', 0, 0, 0, 8}, "stmt"...),
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			pc, err := pgconn.Connect(ctx, e.url(bob, bobToken, "shop"))
			if err != nil {
				t.Fatal(err)
			}
			hc, err := pc.Hijack()
			if err != nil {
				t.Fatal(err)
			}
			defer hc.Conn.Close()
			hc.Conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := hc.Conn.Write(msg); err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(hc.Conn)
			if len(reply) == 0 || reply[0] != 'E' || !strings.Contains(string(reply), "08P01") || !strings.Contains(string(reply), "FATAL") {
				t.Fatalf("want FATAL 08P01, got %q", reply)
			}
			var n int
			if err := bystander.QueryRow(ctx, "SELECT count(*) FROM customers").Scan(&n); err != nil || n != 50 {
				t.Fatalf("another session broke: %d %v", n, err)
			}
		})
	}
}
