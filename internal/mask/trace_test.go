package mask

import (
	"testing"

	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/mask/detect"
)

// Lineage as analysis writes it, by hand (mask may not import analyze).
func ref(table, col string) lineage.Ref {
	return lineage.Ref{Rels: []lineage.Rel{{Name: table}}, Column: col}
}

func out(refs ...lineage.Ref) lineage.Output { return lineage.Output{Refs: refs} }

func query(outs ...lineage.Output) *lineage.Query {
	return &lineage.Query{Branches: [][]lineage.Output{outs}}
}

// traceCatalog: people(id, email, ssn), orders(id, note) in two schemas'
// worth of names, a view over people defined by an expression, and a view
// over that view.
func traceCatalog(t *testing.T) *Classification {
	t.Helper()
	cols := []CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "people", Name: "id"},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "people", Name: "email"},
		{Table: 10, Attnum: 3, Schema: "public", Rel: "people", Name: "ssn"},
		{Table: 11, Attnum: 1, Schema: "public", Rel: "orders", Name: "id"},
		{Table: 11, Attnum: 2, Schema: "public", Rel: "orders", Name: "note"},
		// digest: SELECT id, lower(email) AS mail, substr(ssn, 1, 3) || email AS mixed FROM people
		{Table: 20, Attnum: 1, Schema: "public", Rel: "digest", Name: "id", View: true},
		{Table: 20, Attnum: 2, Schema: "public", Rel: "digest", Name: "mail", View: true},
		{Table: 20, Attnum: 3, Schema: "public", Rel: "digest", Name: "mixed", View: true},
		// redigest: SELECT upper(mail) AS m FROM digest (listed before
		// digest's definition is known: views are classified in order)
		{Table: 21, Attnum: 1, Schema: "public", Rel: "redigest", Name: "m", View: true},
		// opaque: SELECT secret_of(id) AS v FROM people
		{Table: 22, Attnum: 1, Schema: "public", Rel: "opaque", Name: "v", View: true},
	}
	views := map[uint32]*lineage.Query{
		20: query(out(ref("people", "id")), out(ref("people", "email")), out(ref("people", "ssn"), ref("people", "email"))),
		21: query(out(ref("digest", "mail"))),
		22: {Branches: [][]lineage.Output{{{Refs: []lineage.Ref{ref("people", "id")}, Opaque: true}}}},
	}
	cls, err := Classify(cols, nil, views, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cls
}

func TestClassifyViewsByDefinition(t *testing.T) {
	cls := traceCatalog(t)
	for _, tc := range []struct {
		table   uint32
		attnum  int16
		class   detect.Class
		unknown bool
	}{
		{20, 1, "", false},
		{20, 2, detect.Email, false},      // lower(email), named otherwise
		{20, 3, detect.NationalID, false}, // ssn and email: the more sensitive
		{21, 1, detect.Email, false},      // through another view
		{22, 1, "", true},                 // a function: unknown
	} {
		src, ok := cls.Source(Column{Table: tc.table, Attnum: tc.attnum})
		if !ok || src.Class != tc.class || src.Unknown != tc.unknown {
			t.Errorf("%d.%d: %+v, want class %q unknown %v", tc.table, tc.attnum, src, tc.class, tc.unknown)
		}
	}
}

func TestTrace(t *testing.T) {
	cls := traceCatalog(t)
	star := lineage.Output{Star: true, Refs: []lineage.Ref{ref("people", "*")}}
	for _, tc := range []struct {
		name string
		q    *lineage.Query
		n    int
		want []string // per column: the classes of its sources, "?" when not known; nil: does not line up
	}{
		{"a column", query(out(ref("people", "email"))), 1, []string{"email"}},
		{"nothing read", query(out()), 1, []string{""}},
		{"a candidate without the column", query(out(lineage.Ref{Rels: []lineage.Rel{{Name: "orders"}, {Name: "people"}}, Column: "ssn"})), 1, []string{"national_id"}},
		{"a column no table has", query(out(ref("people", "nope"))), 1, []string{"?"}},
		{"a table the catalog lacks", query(out(ref("pg_class", "relname"))), 1, []string{"?"}},
		{"schema-qualified", query(out(lineage.Ref{Rels: []lineage.Rel{{Schema: "public", Name: "people"}}, Column: "email"})), 1, []string{"email"}},
		{"another schema", query(out(lineage.Ref{Rels: []lineage.Rel{{Schema: "audit", Name: "people"}}, Column: "email"})), 1, []string{"?"}},
		{"whole row", query(out(ref("people", "*"))), 1, []string{"email national_id"}},
		{"star expands", query(star, out(ref("orders", "note"))), 4, []string{"", "email", "national_id", ""}},
		{"star does not line up", query(star), 2, nil},
		{"a set operation", &lineage.Query{Branches: [][]lineage.Output{{out(ref("orders", "note"))}, {out(ref("people", "ssn"))}}}, 1, []string{"national_id"}},
		{"a view column", query(out(ref("digest", "mixed"))), 1, []string{"national_id"}},
		{"an optional guess that is wrong", query(out(lineage.Ref{Rels: []lineage.Rel{{Name: "people"}}, Column: "p", Optional: true})), 1, []string{"?"}},
		{"opaque", query(lineage.Output{Opaque: true}), 1, []string{"?"}},
		{"a star analysis could not count", query(lineage.Output{Star: true, Opaque: true}), 1, nil},
	} {
		got := cls.trace(tc.q, tc.n, nil)
		if tc.want == nil {
			if got != nil {
				t.Errorf("%s: %+v, want nil", tc.name, got)
			}
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d columns, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i, d := range got {
			s := "?"
			if d.known {
				s = ""
				for _, src := range d.sources {
					if src.Class != "" {
						s += " " + string(src.Class)
					}
				}
				if len(s) > 0 {
					s = s[1:]
				}
			}
			if s != tc.want[i] {
				t.Errorf("%s: column %d is %q, want %q", tc.name, i, s, tc.want[i])
			}
		}
	}
}

// Every class has a severity, so that a view column computed from several
// takes the most sensitive.
func TestSeverityCoversClasses(t *testing.T) {
	for _, c := range detect.Classes {
		if severity[c] == 0 {
			t.Errorf("class %s has no severity", c)
		}
	}
}

// A computed column (RowDescription names no table) is masked as the
// strictest of what lineage traces it to; a count is not masked.
func TestResultMasksTracedExpressions(t *testing.T) {
	cls := traceCatalog(t)
	p, err := ParsePlan(map[string]any{"email": "partial", "national_id": "redact", "unknown": "refuse"})
	if err != nil {
		t.Fatal(err)
	}
	cols := []Column{{Name: "substr", Type: oidText}, {Name: "count", Type: oidText}, {Name: "mix", Type: oidText}}
	q := query(out(ref("people", "ssn")), out(), out(ref("people", "email"), ref("people", "ssn")))
	r := NewResult(cols, cls, p, testTransformer(t), q, nil)
	if r.Refused() {
		t.Fatal("a traced result was refused")
	}
	got, err := r.Row(nil, dataRow([]byte("536-22"), []byte("7"), []byte("a@b.example 536-22-8726")))
	if err != nil {
		t.Fatal(err)
	}
	vals := parseRow(t, got)
	if string(vals[0]) != "****" || string(vals[1]) != "7" || string(vals[2]) != "****" {
		t.Errorf("masked row %q", vals)
	}
	// Without lineage, the same columns are of unknown source: refused.
	if r := NewResult(cols, cls, p, testTransformer(t), nil, nil); !r.Refused() {
		t.Error("untraced expressions were not refused")
	}
}

// A partial mask keeps part of a value; of a computed value (a slice of
// a card number) that part could be any part, so it redacts instead. A
// column's own values (Direct), and a whole row's, keep partial masking.
func TestComputedValuesAreNotPartiallyMasked(t *testing.T) {
	cls := traceCatalog(t)
	p, err := ParsePlan(map[string]any{"email": "partial"})
	if err != nil {
		t.Fatal(err)
	}
	direct := lineage.Output{Refs: []lineage.Ref{ref("people", "email")}, Direct: true}
	computed := out(ref("people", "email"))
	for _, tc := range []struct {
		name string
		q    *lineage.Query
		want Strategy
	}{
		{"direct", query(direct), Partial},
		{"computed", query(computed), Redact},
		{"a set operation of columns", &lineage.Query{Branches: [][]lineage.Output{{direct}, {direct}}}, Partial},
		{"a view column computed in the view", query(lineage.Output{Refs: []lineage.Ref{ref("digest", "mail")}, Direct: true}), Redact},
	} {
		r := NewResult([]Column{{Name: "x", Type: oidText}}, cls, p, testTransformer(t), tc.q, nil)
		if got := r.cols[0].strategy; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// The view column itself, read by OID.
	r := NewResult([]Column{{Name: "mail", Table: 20, Attnum: 2, Type: oidText}}, cls, p, testTransformer(t), nil, nil)
	if got := r.cols[0].strategy; got != Redact {
		t.Errorf("view column: %s, want redact", got)
	}
}
