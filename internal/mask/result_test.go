package mask

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/mask/detect"
)

func testTransformer(t testing.TB) *Transformer {
	tr, err := NewTransformer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func dataRow(values ...[]byte) []byte {
	raw, err := (&pgproto3.DataRow{Values: values}).Encode(nil)
	if err != nil {
		panic(err)
	}
	return raw
}

func parseRow(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	var m pgproto3.DataRow
	if raw[0] != 'D' || int(binary.BigEndian.Uint32(raw[1:])) != len(raw)-1 {
		t.Fatalf("not a DataRow of its stated length: %q", raw)
	}
	if err := m.Decode(raw[5:]); err != nil {
		t.Fatal(err)
	}
	return m.Values
}

// testResult: people(id int4, email text, notes text) and an expression.
func testResult(t testing.TB, plan map[string]any) *Result {
	cls, err := Classify([]CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "people", Name: "id"},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "people", Name: "email"},
		{Table: 10, Attnum: 3, Schema: "public", Rel: "people", Name: "notes"},
	}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	cols := []Column{
		{Name: "id", Table: 10, Attnum: 1, Type: oidInt4, Format: 1},
		{Name: "email", Table: 10, Attnum: 2, Type: oidText},
		{Name: "notes", Table: 10, Attnum: 3, Type: oidText},
		{Name: "lower", Type: oidText},
	}
	return NewResult(cols, cls, p, testTransformer(t), nil, nil)
}

func TestResultRow(t *testing.T) {
	r := testResult(t, map[string]any{"email": "redact", "*": "redact", "unknown": "scan"})
	if !r.Active() || r.Refused() {
		t.Fatalf("Active %v Refused %v", r.Active(), r.Refused())
	}
	id := []byte{0, 0, 0, 42}
	in := dataRow(id, []byte("jane@corp-mail.net"), []byte("card 4111 1111 1111 1111 on file"), []byte("jane@corp-mail.net"))
	out, err := r.Row([]byte("prefix"), in)
	if err != nil {
		t.Fatal(err)
	}
	if string(out[:6]) != "prefix" {
		t.Fatal("Row did not append")
	}
	vals := parseRow(t, out[6:])
	if !bytes.Equal(vals[0], id) {
		t.Errorf("id changed: %v", vals[0])
	}
	for i, v := range vals[1:] {
		if bytes.Contains(v, []byte("jane@corp-mail.net")) || bytes.Contains(v, []byte("4111 1111 1111 1111")) {
			t.Errorf("column %d kept a clear value: %q", i+1, v)
		}
	}
	if !bytes.HasPrefix(vals[2], []byte("card ")) || !bytes.HasSuffix(vals[2], []byte(" on file")) {
		t.Errorf("scanning masked more than the card: %q", vals[2])
	}
	if n := r.MaskedColumns(); n != 3 {
		t.Errorf("MaskedColumns %d, want 3", n)
	}
	// NULL stays NULL, and a clean row comes out as it went in.
	clean := dataRow(id, nil, []byte("nothing here"), []byte("x"))
	out, err = r.Row(nil, clean)
	if err != nil {
		t.Fatal(err)
	}
	if vals := parseRow(t, out); vals[1] != nil || string(vals[2]) != "nothing here" {
		t.Errorf("clean row became %q", vals)
	}
	// Malformed rows are refused, not half-relayed.
	for _, bad := range [][]byte{in[:len(in)-1], dataRow(id), append(in[:len(in):len(in)], 0)} {
		if got, err := r.Row([]byte("p"), bad); err == nil || string(got) != "p" {
			t.Errorf("malformed row: %q %v", got, err)
		}
	}
}

func TestResultInactiveAndRefusing(t *testing.T) {
	if r := testResult(t, nil); r.Active() || r.Refused() {
		t.Error("no plan: the result is active")
	}
	if r := testResult(t, map[string]any{"email": "clear", "*": "clear"}); r.Active() {
		t.Error("a plan that clears everything rewrites rows")
	}
	if r := testResult(t, map[string]any{"email": "clear", "card_number": "redact"}); !r.Active() {
		t.Error("free text and expressions are not scanned for what the plan masks")
	}
	if r := testResult(t, map[string]any{"*": "redact", "unknown": "refuse"}); !r.Refused() {
		t.Error(`"unknown": "refuse" with an expression column does not refuse`)
	}
}

// DataRow masking is the hot path: with room in dst, a row costs no
// allocation.
func TestResultRowAllocations(t *testing.T) {
	r := testResult(t, map[string]any{"email": "redact", "*": "redact"})
	in := dataRow([]byte{0, 0, 0, 42}, []byte("jane@corp-mail.net"), []byte("card 4111 1111 1111 1111 on file"), []byte("plain"))
	dst := make([]byte, 0, 4096)
	r.findings = make([]detect.Finding, 0, 16)
	if n := testing.AllocsPerRun(100, func() { r.Row(dst[:0], in) }); n > 0 {
		t.Errorf("%v allocations per row", n)
	}
}

func FuzzResultRow(f *testing.F) {
	f.Add(dataRow([]byte{0, 0, 0, 1}, []byte("a@b.co"), []byte("x"), nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := testResult(t, map[string]any{"*": "token", "unknown": "scan"})
		out, err := r.Row(nil, raw)
		if err != nil {
			if len(out) != 0 {
				t.Fatal("a malformed row left output")
			}
			return
		}
		var m pgproto3.DataRow
		if err := m.Decode(out[5:]); err != nil || len(m.Values) != 4 {
			t.Fatalf("masked row does not decode: %v", err)
		}
	})
}

func BenchmarkResultRow(b *testing.B) {
	for _, tc := range []struct {
		name string
		plan map[string]any
	}{{"partial", map[string]any{"email": "partial", "*": "redact"}}, {"token", map[string]any{"*": "token"}}} {
		b.Run(tc.name, func(b *testing.B) {
			r := testResult(b, tc.plan)
			in := dataRow([]byte{0, 0, 0, 42}, []byte("jane.roe@corp-mail.net"), []byte("shipped on tuesday, left at the door"), []byte("jane.roe@corp-mail.net"))
			dst := make([]byte, 0, 4096)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				r.Row(dst[:0], in)
			}
		})
	}
}

// BenchmarkResultRowPage masks a row like those of bench/'s 100-row pages
// under the built-in mask: name, email, phone and card partial, free text
// scanned.
func BenchmarkResultRowPage(b *testing.B) {
	cls, _ := Classify([]CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "customers", Name: "id"},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "customers", Name: "full_name"},
		{Table: 10, Attnum: 3, Schema: "public", Rel: "customers", Name: "email"},
		{Table: 10, Attnum: 4, Schema: "public", Rel: "customers", Name: "phone"},
		{Table: 10, Attnum: 5, Schema: "public", Rel: "customers", Name: "card_number"},
		{Table: 10, Attnum: 6, Schema: "public", Rel: "customers", Name: "notes"},
	}, nil, nil, nil)
	p, _ := ParsePlan(map[string]any{"email": "partial", "phone": "partial", "card_number": "partial", "person_name": "partial", "*": "redact", "unknown": "scan"})
	cols := []Column{{Name: "id", Table: 10, Attnum: 1, Type: 23}, {Name: "full_name", Table: 10, Attnum: 2, Type: 25}, {Name: "email", Table: 10, Attnum: 3, Type: 25},
		{Name: "phone", Table: 10, Attnum: 4, Type: 25}, {Name: "card_number", Table: 10, Attnum: 5, Type: 25}, {Name: "notes", Table: 10, Attnum: 6, Type: 25}}
	r := NewResult(cols, cls, p, testTransformer(b), nil, nil)
	in := dataRow([]byte("12345"), []byte("Customer 12345"), []byte("customer12345@example.com"), []byte("+1 415 555 2345"), []byte("4111 1111 1111 1111"), []byte("delivered to the front door, order 12345"))
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		r.Row(dst[:0], in)
	}
}
