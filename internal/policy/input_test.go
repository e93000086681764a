package policy

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/dbward/dbward/internal/analyze"
)

// TestInputValueIsJSONForm: the input built without JSON is exactly the
// JSON form of Input (DESIGN §6), so that policies and their tests, which
// write inputs as JSON, see the same document.
func TestInputValueIsJSONForm(t *testing.T) {
	full := &Input{
		Identity:  claude,
		Datastore: prod,
		Statement: &analyze.Statement{
			Text: "DELETE FROM orders", Kind: analyze.KindDelete, Command: "DELETE", Commands: []string{"DELETE"},
			Tables:    []analyze.Table{{Schema: "public", Name: "orders", Access: analyze.AccessWrite}, {Name: "customers", Access: analyze.AccessRead}},
			Functions: []string{"now"}, Flags: []string{analyze.FlagDynamicSQL}, Destructive: true, Where: false, Dynamic: true,
			Fingerprint: "a0ead580058af585", ParseError: "", Prepare: "p1", LiteralSensitive: true,
		},
		Session: Session{ClientAddr: "10.0.0.7:51234", ApplicationName: "psql", InTransaction: true},
		Intent:  map[string]string{"ticket": "OPS-42", "reason": "cleanup"},
	}
	unparsed := &Input{
		Identity:  Identity{Name: "x", Kind: "service", Groups: []string{}},
		Datastore: dev,
		Statement: &analyze.Statement{Text: "SELEC", Kind: analyze.KindUnknown, Commands: []string{}, Tables: []analyze.Table{},
			Functions: []string{}, Flags: []string{analyze.FlagUnparsed}, ParseError: "syntax error", Where: true},
		Intent: map[string]string{},
	}
	for name, in := range map[string]*Input{"full": full, "unparsed": unparsed} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := util.NewJSONDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := in.value(); got.Compare(want) != 0 {
				t.Fatalf("input value\n%v\nwant its JSON form\n%v", got, want)
			}
		})
	}
}

// TestInputListsNeverNull: nil slices and maps give empty arrays and
// objects, never null, so that `some x in input.statement.tables` simply
// finds nothing.
func TestInputListsNeverNull(t *testing.T) {
	in := &Input{Statement: &analyze.Statement{}}
	v := in.value()
	for _, path := range []string{"identity.groups", "statement.commands", "statement.tables", "statement.functions", "statement.flags", "intent"} {
		ref := ast.MustParseRef("x." + path)[1:]
		got, err := v.Find(ref)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch g := got.(type) {
		case *ast.Array:
			if g.Len() != 0 {
				t.Errorf("%s = %v", path, g)
			}
		case ast.Object:
			if g.Len() != 0 {
				t.Errorf("%s = %v", path, g)
			}
		default:
			t.Errorf("%s is %v, want an empty array or object", path, got)
		}
	}
	if _, err := v.Find(ast.MustParseRef("x.statement.parse_error")[1:]); err == nil {
		t.Error("parse_error present without a parse error (its JSON form omits it)")
	}
}
