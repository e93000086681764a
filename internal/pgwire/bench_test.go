package pgwire_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// BenchmarkRoundTrip measures one simple-protocol statement (distinct
// literals, as pgbench sends them) and one prepared statement, directly
// and through dbward. The difference is dbward's cost per statement.
func BenchmarkRoundTrip(b *testing.B) {
	e := startProxy(b, nil)
	resetDB(b, e.pg, "shop_prod")
	ctx := context.Background()
	direct, err := pgconn.Connect(ctx, e.pg.URL("shop_prod", "dbward_svc", svcPass))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close(ctx)
	proxied, err := pgconn.Connect(ctx, e.url(bob, bobToken, "shop"))
	if err != nil {
		b.Fatal(err)
	}
	defer proxied.Close(ctx)
	for _, c := range []struct {
		name string
		conn *pgconn.PgConn
	}{{"direct", direct}, {"dbward", proxied}} {
		b.Run("simple/"+c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := c.conn.Exec(ctx, fmt.Sprintf("SELECT name FROM customers WHERE id = %d", i%50+1)).ReadAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("prepared/"+c.name, func(b *testing.B) {
			if _, err := c.conn.Prepare(ctx, "q", "SELECT name FROM customers WHERE id = $1", nil); err != nil {
				b.Fatal(err)
			}
			defer c.conn.Deallocate(ctx, "q") // (-count runs it again)
			args := [][]byte{[]byte("7")}
			for b.Loop() {
				if err := c.conn.ExecPrepared(ctx, "q", args, nil, nil).Read().Err; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
