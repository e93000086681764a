package mask

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestMessage(t *testing.T) {
	p, err := ParsePlan(map[string]any{"national_id": "redact", "email": "partial", "*": "redact"})
	if err != nil {
		t.Fatal(err)
	}
	tr := testTransformer(t)
	for _, tc := range []struct {
		name     string
		in, want pgproto3.ErrorResponse
	}{
		{"a data exception quotes the value",
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "22P02", Message: `invalid input syntax for type integer: "536-22-8726"`},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "22P02", Message: `invalid input syntax for type integer: "****"`}},
		{"a constraint violation's detail",
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "23505", Message: `duplicate key value violates unique constraint "customers_email_key"`, Detail: "Key (email)=(Ada Lovelace) already exists."},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "23505", Message: `duplicate key value violates unique constraint "customers_email_key"`, Detail: withheldDetail}},
		{"what a function raises is scanned",
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "P0001", Message: "customer jane@corp-mail.net, ssn 536-22-8726", Hint: "plain hint", Where: "PL/pgSQL function f() line 3 at RAISE"},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "P0001", Message: "customer ****@corp-mail.net, ssn ****", Hint: "plain hint", Where: "PL/pgSQL function f() line 3 at RAISE"}},
		{"names stay", pgproto3.ErrorResponse{Severity: "ERROR", Code: "42703", Message: `column "ssn" does not exist`, Position: 8},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "42703", Message: `column "ssn" does not exist`, Position: 8}},
	} {
		raw, err := tc.in.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		got := Message([]byte("x"), raw, p, tr, false)
		want, _ := tc.want.Encode(nil)
		if !bytes.Equal(got[1:], want) {
			var dec pgproto3.ErrorResponse
			_ = dec.Decode(got[6:])
			t.Errorf("%s:\n got: %+v\nwant: %+v", tc.name, dec, tc.want)
		}
	}
	// A NoticeResponse is rewritten alike; a broken one is not passed on.
	raw, _ := (&pgproto3.NoticeResponse{Severity: "NOTICE", Code: "00000", Message: "ssn 536-22-8726"}).Encode(nil)
	if got := Message(nil, raw, p, tr, false); got[0] != 'N' || bytes.Contains(got, []byte("536-22-8726")) {
		t.Errorf("notice: %q", got)
	}
	for _, bad := range [][]byte{{'E', 0, 0, 0, 4}, {'E', 0, 0, 0, 9, 'M', 'x', 'y'}} {
		if got := Message(nil, bad, p, tr, false); !bytes.Contains(got, []byte("XX000")) {
			t.Errorf("%q: %q", bad, got)
		}
	}
}

// For a statement over classified data, what any message quotes is
// withheld, and all that user code raises.
func TestMessageStrict(t *testing.T) {
	p, _ := ParsePlan(map[string]any{"*": "redact"})
	tr := testTransformer(t)
	for _, tc := range []struct{ in, want pgproto3.ErrorResponse }{
		{pgproto3.ErrorResponse{Severity: "ERROR", Code: "42P01", Message: `relation "Jane Roe" does not exist`},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "42P01", Message: `relation "****" does not exist`}},
		{pgproto3.ErrorResponse{Severity: "ERROR", Code: "22008", Message: `time field value out of range: 536:22:8726`},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "22008", Message: `time field value out of range: ***:**:****`}},
		{pgproto3.ErrorResponse{Severity: "ERROR", Code: "P0001", Message: "Jane Roe / 6278-22-635", Detail: "d", Hint: "h", Where: "PL/pgSQL function f() line 1 at RAISE"},
			pgproto3.ErrorResponse{Severity: "ERROR", Code: "P0001", Message: withheldRaise, Detail: withheldRaise, Hint: withheldRaise, Where: "PL/pgSQL function f() line * at RAISE"}},
	} {
		raw, _ := tc.in.Encode(nil)
		want, _ := tc.want.Encode(nil)
		if got := Message(nil, raw, p, tr, true); !bytes.Equal(got, want) {
			t.Errorf("%s: got %q", tc.in.Message, got)
		}
	}
}

func FuzzMessage(f *testing.F) {
	raw, _ := (&pgproto3.ErrorResponse{Severity: "ERROR", Code: "22P02", Message: `x: "536-22-8726"`, Detail: "d"}).Encode(nil)
	f.Add(raw)
	p, _ := ParsePlan(map[string]any{"*": "redact"})
	tr := testTransformer(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 {
			return
		}
		out := Message(nil, raw, p, tr, len(raw)%2 == 0)
		if int(out[1])<<24|int(out[2])<<16|int(out[3])<<8|int(out[4]) != len(out)-1 || out[len(out)-1] != 0 {
			t.Fatalf("%q → %q: not a message", raw, out)
		}
	})
}
