package pgwire_test

import (
	"bytes"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/mask"
)

// Whatever SQL analysis traces, masking resolves it without panicking:
// lineage from any text, against a catalog, for results and COPY rows of
// any width.
func FuzzLineageMasking(f *testing.F) {
	for _, s := range []string{
		"SELECT *, lower(email) FROM people JOIN orders USING (id)",
		"SELECT * FROM unnest(ARRAY[1], ARRAY[2]) u, people",
		"SELECT row_to_json(p), (p).* FROM people p",
		"COPY (SELECT * FROM people p, generate_series(1, 2) g) TO STDOUT (FORMAT csv, HEADER)",
		"WITH x(a, b) AS (SELECT * FROM people) SELECT a || b FROM x UNION SELECT email, 1 FROM people",
		"SELECT mode() WITHIN GROUP (ORDER BY email) FROM people",
	} {
		f.Add(s, uint8(2))
	}
	cls, err := mask.Classify([]mask.CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "people", Name: "id", Type: 23},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "people", Name: "email", Type: 25},
		{Table: 11, Attnum: 1, Schema: "public", Rel: "orders", Name: "id", Type: 23},
		{Table: 12, Attnum: 1, Schema: "public", Rel: "v", Name: "x", View: true, Type: 25},
	}, nil, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	plan, err := mask.ParsePlan(map[string]any{"email": "partial", "*": "redact", "unknown": "refuse"})
	if err != nil {
		f.Fatal(err)
	}
	tr, err := mask.NewTransformer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		f.Fatal(err)
	}
	a := analyze.New(analyze.Options{CacheSize: 16})
	f.Fuzz(func(t *testing.T, sql string, width uint8) {
		for _, st := range a.Analyze(sql) {
			cols := make([]mask.Column, width%8)
			for i := range cols {
				cols[i] = mask.Column{Name: "c", Type: 25}
			}
			mask.NewResult(cols, cls, plan, tr, st.Lineage, cls.TablesRead([][2]string{{"", "people"}}))
			mask.CopyMaskable(cls, plan, st.Lineage, false)
			mask.NewCopy(cls, plan, tr, st.Lineage, mask.CopyFormat{Delimiter: '\t', Null: `\N`}, len(cols))
		}
	})
}
