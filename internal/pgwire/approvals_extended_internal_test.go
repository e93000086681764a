package pgwire

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/approval"
)

// FuzzBindParams reads Bind messages: well-formed ones give back the values
// and formats pgproto3 encoded, anything else is refused, never a panic.
func FuzzBindParams(f *testing.F) {
	f.Add([]byte("p\x00s\x00"), []byte("42"), []byte{0, 0, 0, 7}, true, int16(1))
	f.Add([]byte{}, []byte{}, []byte("x"), false, int16(0))
	f.Fuzz(func(t *testing.T, names, a, b []byte, nullB bool, format int16) {
		// Arbitrary bytes as a Bind's body.
		raw := append([]byte{'B', 0, 0, 0, 0}, names...)
		raw = append(raw, a...)
		bindParams(raw)

		// A well-formed Bind.
		vals := [][]byte{a, b}
		if nullB {
			vals[1] = nil
		}
		m := &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s",
			ParameterFormatCodes: []int16{format}, Parameters: vals}
		enc, err := m.Encode(nil)
		if err != nil {
			return
		}
		params, ok := bindParams(enc)
		if !ok || len(params) != 2 {
			t.Fatalf("bindParams(%q) = %v, %v", enc, params, ok)
		}
		for i, p := range params {
			if p.Format != format || p.Null != (vals[i] == nil) || !bytes.Equal(p.Value, vals[i]) {
				t.Fatalf("param %d: %+v, want format %d value %q", i, p, format, vals[i])
			}
		}
	})
}

func TestBindParamsFormats(t *testing.T) {
	for _, c := range []struct {
		formats []int16
		want    []int16
	}{{nil, []int16{0, 0, 0}}, {[]int16{1}, []int16{1, 1, 1}}, {[]int16{0, 1, 0}, []int16{0, 1, 0}}} {
		enc, _ := (&pgproto3.Bind{ParameterFormatCodes: c.formats, Parameters: [][]byte{[]byte("1"), nil, {}}}).Encode(nil)
		params, ok := bindParams(enc)
		if !ok {
			t.Fatalf("formats %v: refused", c.formats)
		}
		var got []int16
		for _, p := range params {
			got = append(got, p.Format)
		}
		if !slices.Equal(got, c.want) || !params[1].Null || params[2].Null {
			t.Errorf("formats %v: %+v", c.formats, params)
		}
	}
	// Two formats for three values is malformed.
	enc, _ := (&pgproto3.Bind{ParameterFormatCodes: []int16{0, 1}, Parameters: [][]byte{{}, {}, {}}}).Encode(nil)
	if _, ok := bindParams(enc); ok {
		t.Error("a Bind with 2 formats for 3 values was read")
	}
	// An empty value is not a NULL: they are different approvals.
	empty, null := approval.Statement{Params: []approval.Param{{Value: []byte{}}}}, approval.Statement{Params: []approval.Param{{Null: true}}}
	if empty.Digest() == null.Digest() {
		t.Error("an empty value and a NULL share a digest")
	}
}

func TestRenamed(t *testing.T) {
	for _, c := range []struct {
		name string
		in   pgproto3.FrontendMessage
		to   []string
		want pgproto3.FrontendMessage
	}{
		{"parse", &pgproto3.Parse{Name: "s1", Query: "DELETE FROM t WHERE id = $1", ParameterOIDs: []uint32{23}}, []string{"dbward_x"},
			&pgproto3.Parse{Name: "dbward_x", Query: "DELETE FROM t WHERE id = $1", ParameterOIDs: []uint32{23}}},
		{"unnamed parse", &pgproto3.Parse{Query: "SELECT 1"}, []string{"dbward_y"}, &pgproto3.Parse{Name: "dbward_y", Query: "SELECT 1"}},
		{"bind", &pgproto3.Bind{DestinationPortal: "", PreparedStatement: "s1", Parameters: [][]byte{[]byte("7")}}, []string{"dbward_p", "dbward_s"},
			&pgproto3.Bind{DestinationPortal: "dbward_p", PreparedStatement: "dbward_s", Parameters: [][]byte{[]byte("7")}}},
		{"bind, statement only", &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s1"}, []string{"", "dbward_s"},
			&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "dbward_s"}},
	} {
		in, _ := c.in.Encode(nil)
		want, _ := c.want.Encode(nil)
		got, ok := renamed(in, c.to...)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, want %q", c.name, got, want)
		}
	}
	if _, ok := renamed([]byte{'E', 0, 0, 0, 6, 'p'}, "x"); ok {
		t.Error("a name without its NUL was renamed")
	}
}

// FuzzParseTypes reads Parse messages: well-formed ones give back the
// parameter types pgproto3 encoded, anything else is refused, never a
// panic.
func FuzzParseTypes(f *testing.F) {
	f.Add([]byte("s\x00DELETE FROM t WHERE id = $1\x00\x00\x01\x00\x00\x00\x17"), "s", "SELECT $1", uint32(23))
	f.Add([]byte{}, "", "", uint32(0))
	f.Fuzz(func(t *testing.T, body []byte, name, text string, oid uint32) {
		parseTypes(append([]byte{'P', 0, 0, 0, 0}, body...))
		if strings.IndexByte(name, 0) >= 0 || strings.IndexByte(text, 0) >= 0 {
			return
		}
		enc, err := (&pgproto3.Parse{Name: name, Query: text, ParameterOIDs: []uint32{oid, 0}}).Encode(nil)
		if err != nil {
			return
		}
		types, ok := parseTypes(enc)
		if !ok || !slices.Equal(types, []uint32{oid, 0}) {
			t.Fatalf("parseTypes(%q) = %v, %v", enc, types, ok)
		}
		if _, ok := parseTypes(append(enc, 0)); ok {
			t.Fatal("a Parse with a trailing byte was read")
		}
	})
}

func TestPrivateNames(t *testing.T) {
	a, b := privateName(), privateName()
	if a == b || !isPrivate(a) || len(a) != len(privatePrefix)+24 {
		t.Errorf("private names %q, %q", a, b)
	}
	if isPrivate("dbward_refused") || isPrivate("stmtcache_1") {
		t.Error("a client's name taken for dbward's")
	}
}
