package mask

import (
	"encoding/binary"
	"testing"

	"github.com/dbward/dbward/internal/lineage"
)

// copyOf masks COPY rows of people(id int4, email text, notes text) under
// a plan that redacts emails and scans free text.
func copyOf(t testing.TB, f CopyFormat) *Copy {
	cls, err := Classify([]CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "people", Name: "id", Type: oidInt4},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "people", Name: "email", Type: oidText},
		{Table: 10, Attnum: 3, Schema: "public", Rel: "people", Name: "notes", Type: oidText},
	}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(map[string]any{"email": "redact", "card_number": "partial", "unknown": "scan"})
	if err != nil {
		t.Fatal(err)
	}
	q := &lineage.Query{Branches: [][]lineage.Output{{{Star: true, Refs: []lineage.Ref{{Rels: []lineage.Rel{{Name: "people"}}, Column: "*"}}}}}}
	c, ok := NewCopy(cls, p, testTransformer(t), q, f, 3)
	if !ok {
		t.Fatal("the COPY cannot be masked")
	}
	return c
}

func copyData(row string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{'d'}, uint32(4+len(row))), row...)
}

var (
	textFormat = CopyFormat{Delimiter: '\t', Null: `\N`}
	csvFormat  = CopyFormat{CSV: true, Delimiter: ',', Quote: '"', Escape: '"'}
)

func TestCopyRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    CopyFormat
		in   []string
		want []string
	}{
		{"text", textFormat,
			[]string{"1\tjane@corp.example\tcall 4111 1111 1111 1111\n", "2\t\\N\ta\\tb\\\\c\\nd\n", "3\t\t\n"},
			[]string{"1\t****\tcall **** **** **** 1111\n", "2\t\\N\ta\\tb\\\\c\\nd\n", "3\t****\t\n"}},
		{"text, other delimiter and NULL", CopyFormat{Delimiter: '|', Null: "NULL", Header: true},
			[]string{"id|email|notes\n", "1|a@b.example|x\\|y\n", "2|NULL|NULL\n"},
			[]string{"id|email|notes\n", "1|****|x\\|y\n", "2|NULL|NULL\n"}},
		{"csv", csvFormat,
			[]string{"1,jane@corp.example,\"a, \"\"quoted\"\" note\"\n", "2,,\"\"\n", "3,\"x\ny\",\"line\nbreak\"\n"},
			[]string{"1,****,\"a, \"\"quoted\"\" note\"\n", "2,,\"\"\n", "3,\"****\",\"line\nbreak\"\n"}},
		{"csv, own quote and escape", CopyFormat{CSV: true, Delimiter: ';', Quote: '\'', Escape: '\\', Null: "NULL"},
			[]string{"1;'j\\'ane@x.example';'it\\'s; fine'\n", "2;NULL;''\n"},
			[]string{"1;'****';'it\\'s; fine'\n", "2;NULL;''\n"}},
	} {
		c := copyOf(t, tc.f)
		if !c.Active() {
			t.Fatalf("%s: not active", tc.name)
		}
		for i, in := range tc.in {
			got, err := c.Row(nil, copyData(in))
			if err != nil || string(got[5:]) != tc.want[i] || int(binary.BigEndian.Uint32(got[1:])) != len(got)-1 {
				t.Errorf("%s: %q\n got: %q %v\nwant: %q", tc.name, in, got, err, tc.want[i])
			}
		}
	}
}

func TestCopyRowsMalformed(t *testing.T) {
	for _, tc := range []struct {
		f  CopyFormat
		in string
	}{
		{textFormat, "1\ta\n"},              // too few fields
		{textFormat, "1\ta\tb\tc\n"},        // too many
		{textFormat, "1\ta\tb"},             // no end of line
		{csvFormat, "1,\"unterminated,b\n"}, // an open quote
		{csvFormat, "1,a\n"},
	} {
		if got, err := copyOf(t, tc.f).Row([]byte("keep"), copyData(tc.in)); err == nil || string(got) != "keep" {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
}

func FuzzCopyRow(f *testing.F) {
	for _, s := range []string{"1\tjane@corp.example\tnote\n", "2\t\\N\t\\x41\\101\\\\\n", "1,\"a\"\"b\",c\n", ",,\n"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, row string, csv bool) {
		format := textFormat
		if csv {
			format = csvFormat
		}
		c := copyOf(t, format)
		out, err := c.Row(nil, copyData(row))
		if err != nil {
			return
		}
		// What dbward sends parses again, into as many fields.
		if _, err := copyOf(t, format).Row(nil, out); err != nil {
			t.Errorf("%q masked to %q, which does not parse: %v", row, out, err)
		}
	})
}
