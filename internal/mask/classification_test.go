package mask

import (
	"slices"
	"testing"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/mask/detect"
)

func TestClassify(t *testing.T) {
	cols := []CatalogColumn{
		{Table: 10, Attnum: 1, Schema: "public", Rel: "people", Name: "id"},
		{Table: 10, Attnum: 2, Schema: "public", Rel: "people", Name: "email"},
		{Table: 10, Attnum: 3, Schema: "public", Rel: "people", Name: "notes"},
		{Table: 10, Attnum: 4, Schema: "public", Rel: "people", Name: "tax_ref"},
		{Table: 10, Attnum: 5, Schema: "public", Rel: "people", Name: "phone"},
		{Table: 20, Attnum: 1, Schema: "public", Rel: "contacts", Name: "contact", View: true},
		{Table: 20, Attnum: 2, Schema: "public", Rel: "contacts", Name: "email", View: true},
		{Table: 20, Attnum: 3, Schema: "public", Rel: "contacts", Name: "id", View: true},
		{Table: 30, Attnum: 1, Schema: "public", Rel: "ids", Name: "id", View: true},
	}
	deps := []ViewDependency{{View: 20, Table: 10, Attnum: 1}, {View: 20, Table: 10, Attnum: 2}, {View: 30, Table: 10, Attnum: 1}}
	cls, err := Classify(cols, deps, nil, map[string]string{"public.people.tax_ref": "national_id", "public.people.phone": "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table   uint32
		attnum  int16
		class   detect.Class
		unknown bool
	}{
		{10, 1, "", false},
		{10, 2, detect.Email, false},      // by its name
		{10, 4, detect.NationalID, false}, // configured
		{10, 5, "", false},                // configured "none" beats the name
		{20, 2, detect.Email, false},      // a view column named as the base column it reads
		{20, 1, "", true},                 // a view column over sensitive data, of unknown source
		{20, 3, "", true},                 // (the view reads email: which column shows it is not known)
		{30, 1, "", false},                // a view over nothing sensitive
	} {
		src, ok := cls.Source(Column{Table: tc.table, Attnum: tc.attnum})
		if !ok || src.Class != tc.class || src.Unknown != tc.unknown {
			t.Errorf("%d.%d: %+v %v, want class %q unknown %v", tc.table, tc.attnum, src, ok, tc.class, tc.unknown)
		}
	}
	if _, ok := cls.Source(Column{Table: 0, Attnum: 0}); ok {
		t.Error("an expression column has a known source")
	}
	if _, ok := cls.Source(Column{Table: 99, Attnum: 1}); ok {
		t.Error("a table created since the load has a known source")
	}
	if !cls.Sensitive("public", "people") || !cls.Sensitive("", "contacts") || cls.Sensitive("", "ids") {
		t.Error("Sensitive is wrong")
	}
	if _, err := Classify(cols, nil, nil, map[string]string{"public.people.id": "shoe_size"}); err == nil {
		t.Error("an unknown configured classification was accepted")
	}
}

// config validates masking.columns against its own copy of the
// classification names, since it may not import this package.
func TestConfigKnowsTheClasses(t *testing.T) {
	var names []string
	for _, c := range detect.Classes {
		names = append(names, string(c))
	}
	if !slices.Equal(names, config.MaskingClasses) {
		t.Errorf("config.MaskingClasses %v, detect.Classes %v", config.MaskingClasses, names)
	}
}
