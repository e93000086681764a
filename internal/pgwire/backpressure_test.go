package pgwire_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Tens of megabytes each way arrive whole and in order, through every
// socket-buffer-full pause the relay meets on the way.
func TestLargeTransfers(t *testing.T) { eachRelay(t, testLargeTransfers) }

func testLargeTransfers(t *testing.T, e *env) {
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")
	if _, err := c.Exec(ctx, "CREATE TABLE blobs (id int, body text)"); err != nil {
		t.Fatal(err)
	}
	// COPY FROM STDIN: ~24 MB in one stream.
	var in bytes.Buffer
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&in, "%d\t%s\n", i, bytes.Repeat([]byte{byte('a' + i%26)}, 4000))
	}
	want := sha256.Sum256(in.Bytes())
	tag, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(in.Bytes()), "COPY blobs FROM STDIN")
	if err != nil || tag.RowsAffected() != 6000 {
		t.Fatalf("COPY FROM: %v %v", tag, err)
	}
	// COPY TO STDOUT gives back the same bytes.
	var out bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, body FROM blobs ORDER BY id) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(out.Bytes()) != want {
		t.Fatalf("COPY TO gave %d bytes that differ from the %d sent", out.Len(), in.Len())
	}
	// And a plain query returns every row.
	var rows, size int64
	if err := c.QueryRow(ctx, "SELECT count(*), sum(length(body)) FROM (SELECT body FROM blobs) b").Scan(&rows, &size); err != nil || rows != 6000 || size != 6000*4000 {
		t.Fatalf("rows=%d size=%d err=%v", rows, size, err)
	}
}

// A client that stops reading a large result holds up its own session
// only: others go on meanwhile, and the slow one gets all of its rows
// once it reads again.
func TestSlowReaderDoesNotStallOthers(t *testing.T) { eachRelay(t, testSlowReaderDoesNotStallOthers) }

func testSlowReaderDoesNotStallOthers(t *testing.T, e *env) {
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	conn := e.rawSession(t, bob, bobToken, "shop", time.Minute)
	const n = 200000 // ~20 MB of rows: far more than socket buffers hold
	fe := pgproto3.NewFrontend(conn, conn)
	fe.Send(&pgproto3.Query{String: fmt.Sprintf("SELECT g, repeat('x', 90) FROM generate_series(1, %d) g", n)})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	other := e.connect(t, bob, bobToken, "shop")
	for i := 0; i < 20; i++ {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var got int
		err := other.QueryRow(qctx, "SELECT count(*) FROM customers").Scan(&got)
		cancel()
		if err != nil || got != 50 {
			t.Fatalf("another session stalled while one client did not read: %d %v", got, err)
		}
	}
	rows := 0
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("after %d rows: %v", rows, err)
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			rows++
		case *pgproto3.ErrorResponse:
			t.Fatalf("error after %d rows: %s", rows, m.Message)
		case *pgproto3.ReadyForQuery:
			if rows != n {
				t.Fatalf("got %d rows, want %d", rows, n)
			}
			return
		}
	}
}
