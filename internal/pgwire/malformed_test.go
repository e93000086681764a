package pgwire_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Malformed messages after login end that session with a clear FATAL;
// other sessions go on as if nothing happened.
func TestMalformedMessagesMidSession(t *testing.T) { eachRelay(t, testMalformedMessagesMidSession) }

func testMalformedMessagesMidSession(t *testing.T, e *env) {
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
			conn := e.rawSession(t, bob, bobToken, "shop", 10*time.Second)
			if _, err := conn.Write(msg); err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(conn)
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

// A fast-path FunctionCall names its function only by OID, so dbward
// refuses it with 42501 and the session goes on, as after any error.
func TestFastPathFunctionCallRefused(t *testing.T) { eachRelay(t, testFastPathFunctionCallRefused) }

func testFastPathFunctionCallRefused(t *testing.T, e *env) {
	conn := e.rawSession(t, alice, aliceToken, "shopdev", 10*time.Second)
	// FunctionCall: oid 1299 (now()), no argument formats, no arguments, text result.
	call, _ := (&pgproto3.FunctionCall{Function: 1299, ResultFormatCode: 0}).Encode(nil)
	if _, err := conn.Write(call); err != nil {
		t.Fatal(err)
	}
	fe := pgproto3.NewFrontend(conn, conn)
	var sawRefusal bool
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.FunctionCallResponse:
			t.Fatal("the function call ran")
		case *pgproto3.ErrorResponse:
			sawRefusal = m.Code == "42501" && strings.Contains(m.Message, "fastpath_function_call")
			if !sawRefusal {
				t.Fatalf("want 42501 fastpath_function_call, got %s %q", m.Code, m.Message)
			}
		case *pgproto3.ReadyForQuery:
			if !sawRefusal || m.TxStatus != 'I' {
				t.Fatalf("ReadyForQuery %q after refusal %v", m.TxStatus, sawRefusal)
			}
			// The session is still usable.
			fe.Send(&pgproto3.Query{String: "SELECT 1"})
			if err := fe.Flush(); err != nil {
				t.Fatal(err)
			}
			for {
				m, err := fe.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := m.(*pgproto3.ErrorResponse); ok {
					t.Fatalf("query after refusal failed: %+v", m)
				}
				if _, ok := m.(*pgproto3.ReadyForQuery); ok {
					return
				}
			}
		}
	}
}
