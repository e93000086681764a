package mask

import (
	"encoding/json"
	"testing"

	"github.com/dbward/dbward/internal/mask/detect"
)

func jsonResult(t testing.TB) (*Result, *jsonKeys) {
	p, err := ParsePlan(map[string]any{"email": "partial", "national_id": "redact", "secret": "nullify"})
	if err != nil {
		t.Fatal(err)
	}
	keys := jsonKeysFor(p, []Source{
		{Column: "public.people.id"},
		{Column: "public.people.email", Class: detect.Email},
		{Column: "public.people.ssn", Class: detect.NationalID},
		{Column: "public.people.api_key", Class: detect.Secret},
	})
	return &Result{tr: testTransformer(t), plan: p}, keys
}

func TestMaskJSON(t *testing.T) {
	r, keys := jsonResult(t)
	for _, tc := range []struct{ in, want string }{
		{`{"id":1,"email":"jane@corp.example","ssn":"536-22-8726","api_key":"k"}`,
			`{"id":1,"email":"****@corp.example","ssn":"****","api_key":null}`},
		// json_agg of rows: every element; whitespace and order kept.
		{`[{"id": 1, "email": "a@x.example", "ssn": null, "api_key": "k"}, {"id": 2, "email": null, "ssn": 123456789, "api_key": null}]`,
			`[{"id": 1, "email": "****@x.example", "ssn": null, "api_key": null}, {"id": 2, "email": null, "ssn": "****", "api_key": null}]`},
		// Escapes in names and values.
		{`{"em\u0061il":"q\"uote@x.example","ssn":"1","api_key":"","id":[1,{"x":true}]}`,
			`{"em\u0061il":"****@x.example","ssn":"****","api_key":null,"id":[1,{"x":true}]}`},
		// A nested row under a classified name is masked whole.
		{`{"email":{"a":1},"ssn":"1","api_key":"k"}`, `{"email":"****","ssn":"****","api_key":null}`},
	} {
		got, ok := r.maskJSON(nil, []byte(tc.in), keys)
		if !ok || string(got) != tc.want {
			t.Errorf("%s\n got: %s %v\nwant: %s", tc.in, got, ok, tc.want)
		}
		if ok && !json.Valid(got) {
			t.Errorf("%s: invalid JSON out: %s", tc.in, got)
		}
	}
	for _, in := range []string{
		`{"id":1,"mail":"jane@corp.example","ssn":"1","api_key":"k"}`,       // a classified column under another name
		`{"id":1,"email":"a@x.example","ssn":"1","api_key":"k","leak":"x"}`, // a key no source column has
		`{"email":"a@x.example",`, `{"email" "x"}`, `["a" "b"]`, `{"email":"x"} trailing`, ``, `"unterminated`,
	} {
		if got, ok := r.maskJSON([]byte("keep"), []byte(in), keys); ok || string(got) != "keep" {
			t.Errorf("%q: %q %v, want not ok and dst unchanged", in, got, ok)
		}
	}
}

func FuzzMaskJSON(f *testing.F) {
	for _, s := range []string{`{"id":1,"email":"jane@corp.example","ssn":"536-22-8726","api_key":"k"}`,
		`[{"email":null,"ssn":1,"api_key":[1,2]}]`, `{"email":"\ud800","ssn":"\n","api_key":{}}`, `[[[[`} {
		f.Add([]byte(s))
	}
	r, keys := jsonResult(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		got, ok := r.maskJSON(nil, in, keys)
		if ok && json.Valid(in) && !json.Valid(got) {
			t.Errorf("valid JSON %q masked to invalid %q", in, got)
		}
	})
}
