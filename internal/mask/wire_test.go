package mask

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func rowDescription(fields ...pgproto3.FieldDescription) []byte {
	raw, err := (&pgproto3.RowDescription{Fields: fields}).Encode(nil)
	if err != nil {
		panic(err)
	}
	return raw
}

func TestParseRowDescription(t *testing.T) {
	raw := rowDescription(
		pgproto3.FieldDescription{Name: []byte("email"), TableOID: 16384, TableAttributeNumber: 2, DataTypeOID: 25, DataTypeSize: -1, TypeModifier: -1, Format: 1},
		pgproto3.FieldDescription{Name: []byte("?column?"), DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1},
	)
	cols, err := ParseRowDescription(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []Column{{Name: "email", Table: 16384, Attnum: 2, Type: 25, Format: 1}, {Name: "?column?", Type: 23}}
	if len(cols) != 2 || cols[0] != want[0] || cols[1] != want[1] {
		t.Fatalf("got %+v, want %+v", cols, want)
	}
	for _, bad := range [][]byte{nil, []byte("T\x00\x00\x00\x06\x00"), raw[:len(raw)-1], append(raw[:len(raw):len(raw)], 0), []byte("D\x00\x00\x00\x06\x00\x00")} {
		if _, err := ParseRowDescription(nil, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err %v, want ErrMalformed", bad, err)
		}
	}
}

func TestBindResultFormats(t *testing.T) {
	for _, tc := range []struct {
		bind pgproto3.Bind
		want []int16
	}{
		{pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s", Parameters: [][]byte{[]byte("1"), nil}, ResultFormatCodes: []int16{1, 0}}, []int16{1, 0}},
		{pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 1}}}, []int16{}},
		{pgproto3.Bind{ResultFormatCodes: []int16{1}}, []int16{1}},
	} {
		raw, err := tc.bind.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := BindResultFormats(raw)
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%+v: %v %v", tc.bind, got, err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%+v: %v, want %v", tc.bind, got, tc.want)
			}
		}
		if _, err := BindResultFormats(raw[:len(raw)-1]); err == nil && len(tc.want) > 0 {
			t.Errorf("truncated Bind read without error")
		}
	}
}

func TestWithFormats(t *testing.T) {
	cols := []Column{{Name: "a"}, {Name: "b"}}
	for _, tc := range []struct {
		formats []int16
		want    [2]int16
	}{{nil, [2]int16{0, 0}}, {[]int16{1}, [2]int16{1, 1}}, {[]int16{0, 1}, [2]int16{0, 1}}} {
		got := WithFormats(cols, tc.formats)
		if got[0].Format != tc.want[0] || got[1].Format != tc.want[1] {
			t.Errorf("%v: %+v", tc.formats, got)
		}
	}
	if cols[0].Format != 0 || cols[1].Format != 0 {
		t.Error("WithFormats changed its argument")
	}
}

// The wire parsers take whatever the upstream sends: never a panic, and a
// parse either fails or accounts for every byte.
func FuzzParseRowDescription(f *testing.F) {
	f.Add(rowDescription(pgproto3.FieldDescription{Name: []byte("x"), TableOID: 1, TableAttributeNumber: 1, DataTypeOID: 25}))
	f.Add([]byte("T\x00\x00\x00\x06\x00\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cols, err := ParseRowDescription(nil, raw)
		if err == nil && len(raw) >= 7 && len(cols) != int(int16(binary.BigEndian.Uint16(raw[5:]))) {
			t.Fatalf("%d columns from a message announcing %d", len(cols), binary.BigEndian.Uint16(raw[5:]))
		}
		BindResultFormats(raw)
	})
}
