package mask

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/mask/detect"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestParseStrategy(t *testing.T) {
	for _, s := range allStrategies {
		got, err := ParseStrategy(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStrategy(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "Token", "mask", "tokenize"} {
		_, err := ParseStrategy(bad)
		if !errors.Is(err, ErrUnknownStrategy) || !strings.Contains(err.Error(), "clear, redact, partial, token, fake, nullify, hash") {
			t.Errorf("ParseStrategy(%q): %v", bad, err)
		}
	}
}

// maskCase is an input in text format and its expected masked text form.
// The binary form of the input is checked to mask to the same value.
type maskCase struct {
	oid   uint32
	class detect.Class
	in    string
	want  string
}

func checkCases(t *testing.T, s Strategy, cases []maskCase) {
	t.Helper()
	tr := newTestTransformer(t)
	for _, c := range cases {
		out, null, err := tr.Value(nil, []byte(c.in), c.oid, 0, c.class, s)
		if err != nil || null || string(out) != c.want {
			t.Errorf("%s %d %s %q: got %q null=%v err=%v, want %q", s, c.oid, c.class, c.in, out, null, err, c.want)
			continue
		}
		bin := binaryOf(t, c.oid, c.in)
		if bin == nil {
			continue
		}
		out, _, err = tr.Value(nil, bin, c.oid, 1, c.class, s)
		if err != nil {
			t.Errorf("%s %d %q binary: %v", s, c.oid, c.in, err)
			continue
		}
		got, err := pgDecode(c.oid, 1, out)
		if err != nil {
			t.Errorf("%s %d %q binary: %x does not decode: %v", s, c.oid, c.in, out, err)
			continue
		}
		if want := mustDecode(t, c.oid, 0, []byte(c.want)); !sameValue(got, want) {
			t.Errorf("%s %d %q binary: got %v, want %v", s, c.oid, c.in, got, want)
		}
	}
}

// sameValue compares values decoded by pgx; numerics by value, since
// 0.000 and 0 differ only in display scale, which pgx's binary decoder
// does not keep for zero.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case pgtype.Numeric:
		b, ok := b.(pgtype.Numeric)
		fa, _ := a.Float64Value()
		fb, _ := b.Float64Value()
		return ok && (fa == fb || a.NaN && b.NaN)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestRedact(t *testing.T) {
	checkCases(t, Redact, []maskCase{
		{oidBool, "", "t", "f"},
		{oidBytea, "", `\x0102`, `\x`},
		{oidChar, "", "j", "*"},
		{oidName, "", "john", "****"},
		{oidInt2, "", "-12", "0"},
		{oidInt4, "", "12", "0"},
		{oidInt8, "", "12", "0"},
		{oidOID, "", "12", "0"},
		{oidText, detect.Email, "a@b.c", "****"},
		{oidVarchar, "", "x", "****"},
		{oidBpchar, "", "ab      ", "****    "},
		{oidBpchar, "", "ab", "**"},
		{oidJSON, "", ` {"a": 1}`, "{}"},
		{oidJSON, "", `[1]`, "[]"},
		{oidJSON, "", `"x"`, `"****"`},
		{oidJSON, "", `12.5`, `0`},
		{oidJSON, "", `true`, `false`},
		{oidJSONB, "", `null`, `null`},
		{oidXML, "", `<a>b</a>`, `****`},
		{oidFloat4, "", "1.5", "0"},
		{oidFloat8, "", "-Infinity", "0"},
		{oidNumeric, "", "12.340", "0.000"},
		{oidNumeric, "", "-Infinity", "0"},
		{oidDate, "", "1985-03-17", "1900-01-01"},
		{oidTime, "", "13:45:07", "00:00:00"},
		{oidTimestamp, "", "1985-03-17 13:45:07", "1900-01-01 00:00:00"},
		{oidTimestamptz, "", "1985-03-17 13:45:07+02", "1900-01-01 00:00:00+00"},
		{oidInterval, "", "1 year", "00:00:00"},
		{oidUUID, "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000"},
		{oidInet, "", "192.168.1.77", "0.0.0.0"},
		{oidInet, "", "192.168.1.77/24", "0.0.0.0/24"},
		{oidInet, "", "::1", "::"},
		{oidCIDR, "", "10.0.0.0/8", "0.0.0.0/8"},
		{oidMacaddr, "", "08:00:2b:01:02:03", "00:00:00:00:00:00"},
		{1009, "", `{a,"b c",NULL}`, `{****,****,NULL}`},
		{1007, "", `[2:3]={1,2}`, `[2:3]={0,0}`},
		{1185, "", `{"1985-03-17 13:45:07+02"}`, `{"1900-01-01 00:00:00+00"}`},
	})
}

func TestPartial(t *testing.T) {
	checkCases(t, Partial, []maskCase{
		{oidText, detect.Email, "john.smith@example.com", "****@example.com"},
		{oidText, detect.Email, "no at sign", "****"},
		{oidText, detect.Phone, "+44 20 7946 0958", "+** ** **** 0958"},
		{oidText, detect.CardNumber, "4111-1111-1111-1111", "****-****-****-1111"},
		{oidText, detect.IBAN, "GB33BUKB20201555555555", "******************5555"},
		{oidText, detect.NationalID, "078-05-1120", "***-**-1120"},
		{oidText, detect.NationalID, "12345", "***45"}, // never half or more
		{oidText, detect.PersonName, "  Jean-Luc  Picard ", "J*** P***"},
		{oidText, detect.PersonName, "Émile Zola", "É*** Z***"},
		{oidText, detect.Secret, "sk_live_abcdefghijklmnop", "****"},
		{oidText, detect.Address, "1 Main St, Springfield", "****, Springfield"},
		{oidText, detect.Address, "1 Main St", "****"},
		{oidText, detect.DateOfBirth, "1985-03-17", "1985-**-**"},
		{oidText, detect.DateOfBirth, "March 17, 1985", "***** **, 1985"},
		{oidText, detect.IPAddress, "192.168.1.77", "192.168.1.*"},
		{oidText, detect.IPAddress, "2001:db8:85a3::7334", "2001:db8:85a3:*"},
		{oidText, "", `quote"back\slash`, `************lash`},
		{oidJSON, detect.Email, `"a@example.com"`, `"****@example.com"`},
		{oidJSON, detect.Email, `{"e": "a@example.com"}`, `{}`},
		{oidBpchar, detect.Email, "a@example.com   ", "****@example.com"},
		{oidBpchar, detect.Email, "a@example.com  ", "****@example.co"}, // bpchar(15)
		{oidBpchar, detect.Email, "a@ex.com", "****@ex."},
		{oidDate, "", "1985-03-17", "1985-01-01"},
		{oidDate, "", "4714-12-01 BC", "4714-11-24 BC"}, // Jan 1 would be before PostgreSQL's first day
		{oidTimestamp, "", "1985-03-17 13:45:07.5", "1985-01-01 00:00:00"},
		{oidTimestamptz, "", "2001-12-31 23:30:00-01", "2002-01-01 00:00:00+00"}, // the year in UTC
		{oidTime, "", "13:45:07.5", "13:00:00"},
		{oidInet, "", "192.168.1.77", "192.168.1.0"},
		{oidInet, "", "2001:db8:85a3:1:2:3:4:5/64", "2001:db8:85a3::/64"},
		{oidMacaddr, "", "08:00:2b:01:02:03", "08:00:2b:00:00:00"},
		{1009, detect.Email, `{a@x.com,b@y.org}`, `{****@x.com,****@y.org}`},
	})
	// Numbers cannot hold '*': Partial is Token.
	tr := newTestTransformer(t)
	for _, oid := range []uint32{oidInt4, oidInt8, oidNumeric, oidFloat8, oidBytea, oidInterval} {
		in := "12"
		if oid == oidBytea {
			in = `\x12`
		} else if oid == oidInterval {
			in = "1 day"
		}
		p, _, _ := tr.Value(nil, []byte(in), oid, 0, detect.CardNumber, Partial)
		tok, _, _ := tr.Value(nil, []byte(in), oid, 0, detect.CardNumber, Token)
		if string(p) != string(tok) {
			t.Errorf("OID %d: Partial %q, Token %q", oid, p, tok)
		}
	}
	// A uuid keeps its last 4 hex digits.
	p, _, _ := tr.Value(nil, []byte("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), oidUUID, 0, "", Partial)
	if !strings.HasSuffix(string(p), "0a11") || strings.HasPrefix(string(p), "a0ee") {
		t.Errorf("uuid Partial: %s", p)
	}
}

func TestTokenShapes(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid   uint32
		in    string
		shape string
	}{
		{oidText, "john@example.com", `^tok_[a-z2-7]{16}$`},
		{oidCitext, "John", `^tok_[a-z2-7]{16}$`},
		{oidJSON, `"john"`, `^"tok_[a-z2-7]{16}"$`},
		{oidJSONB, `{"a": 1}`, `^"tok_[a-z2-7]{16}"$`},
		{oidBpchar, "abc", `^[a-z2-7]{3}$`},
		{oidBpchar, "abc" + strings.Repeat(" ", 20), `^tok_[a-z2-7]{16} {3}$`},
		{oidName, "john", `^tok_[a-z2-7]{16}$`},
		{oidChar, "j", `^[a-z2-7]$`},
		{oidInt2, "-5", `^[1-9][0-9]{0,4}$`},
		{oidInt4, "5", `^[1-9][0-9]{0,9}$`},
		{oidInt8, "5", `^[1-9][0-9]{0,18}$`},
		{oidOID, "5", `^[1-9][0-9]{0,9}$`},
		{oidNumeric, "5", `^[1-9][0-9]{9}$`},
		{oidNumeric, "-1234567890123.45", `^[1-9][0-9]{12}\.[0-9]{2}$`},
		{oidFloat4, "1.5", `^[0-9]{1,8}$`},
		{oidUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{oidDate, "1985-03-17", `^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$`},
		{oidTimestamptz, "1985-03-17 13:45:07+02", `^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\+00$`},
		{oidMacaddr, "08:00:2b:01:02:03", `^[0-9a-f][26ae](:[0-9a-f]{2}){5}$`},
		{oidCIDR, "10.1.0.0/16", `^[0-9]+\.[0-9]+\.0\.0/16$`},
		{oidBytea, `\x01`, `^\\x[0-9a-f]{32}$`},
	} {
		out, _, err := tr.Value(nil, []byte(c.in), c.oid, 0, "", Token)
		if err != nil || !regexp.MustCompile(c.shape).Match(out) {
			t.Errorf("Token %d %q: %q %v, want %s", c.oid, c.in, out, err, c.shape)
		}
	}
	for _, c := range []struct {
		oid uint32
		max uint64
	}{{oidInt2, 1<<15 - 1}, {oidInt4, 1<<31 - 1}, {oidOID, 1<<32 - 1}} {
		for i := range 2000 {
			out, _, _ := tr.Value(nil, []byte(strconv.Itoa(i)), c.oid, 0, "", Token)
			if n, err := strconv.ParseUint(string(out), 10, 64); err != nil || n == 0 || n > c.max {
				t.Fatalf("Token of %d as OID %d: %s", i, c.oid, out)
			}
		}
	}
}

func TestHash(t *testing.T) {
	tr := newTestTransformer(t)
	out, _, _ := tr.Value(nil, []byte("john@example.com"), oidText, 0, detect.Email, Hash)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{16}$`).Match(out) {
		t.Errorf("Hash: %q", out)
	}
	// Not a plain SHA-256 of the value, which anyone could recompute.
	if strings.Contains("c3a4e8a3c4a0a1f1dd0b4ba0a29f5c6f0a1a8e6f5d2d35d7c6e5f06b5e23e0e1", string(out[7:])) {
		t.Errorf("Hash looks unkeyed: %q", out)
	}
	// Other types fall back to Token.
	for _, oid := range []uint32{oidInt4, oidDate, oidUUID} {
		in := map[uint32]string{oidInt4: "7", oidDate: "2020-01-01", oidUUID: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}[oid]
		h, _, _ := tr.Value(nil, []byte(in), oid, 0, "", Hash)
		tok, _, _ := tr.Value(nil, []byte(in), oid, 0, "", Token)
		if string(h) != string(tok) {
			t.Errorf("OID %d: Hash %q, Token %q", oid, h, tok)
		}
	}
}
