package policy

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/dbward/dbward/internal/analyze"
)

// TestBrokenPolicies: a policy that cannot be used is refused at New with
// file:line and the compiler's message, or a sentinel for dbward's own
// checks.
func TestBrokenPolicies(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // substrings of the error
		is   error    // nil: an ast.Errors
	}{
		{"syntax", "package dbward\n\nrules.x := {\"action\" \"deny\"}\n\nrules.y := 1\n", []string{"p.rego:3", "rego_parse_error"}, nil},
		{"unsafe var", "package dbward\n\nrules.x := {\"action\": \"deny\"} if {\n\ty > 1\n}\n", []string{"p.rego:4", "rego_unsafe_var_error", "var y is unsafe"}, nil},
		{"rego v0 syntax", "package dbward\n\nrules[\"x\"] = {\"action\": \"deny\"} { true }\n", []string{"p.rego:3", "rego_parse_error"}, nil},
		{"type error", "package dbward\n\nrules.x := {\"action\": \"deny\"} if {\n\tcount(1)\n}\n", []string{"p.rego:4", "rego_type_error"}, nil},
		{"unknown function", "package dbward\n\nrules.x := {\"action\": \"deny\"} if nope(input)\n", []string{"p.rego:3", "undefined function nope"}, nil},
		{"decision", "package dbward\n\ndecision := {\"action\": \"allow\"}\n", []string{"p.rego:3: data.dbward.decision belongs to dbward", `rules["name"]`}, ErrReserved},
		{"decision ref head", "package dbward\n\ndecision.action := \"allow\"\n", []string{"p.rego:3: data.dbward.decision.action belongs to dbward"}, ErrReserved},
		{"builtin package", "package dbward.builtin\n\nrules.no_drop := {\"action\": \"allow\"}\n", []string{"p.rego:1: package dbward.builtin belongs to dbward", "built-in guardrails"}, ErrReserved},
		{"builtin subpackage", "package dbward.builtin.extra\n\nx := 1\n", []string{"p.rego:1"}, ErrReserved},
		{"decision package", "package dbward.decision\n\naction := \"allow\"\n", []string{"p.rego:1: package dbward.decision belongs to dbward"}, ErrReserved},
		{"builtin rule in dbward", "package dbward\n\nbuiltin := {}\n", []string{"p.rego:3"}, ErrReserved},
		{"disabled typo", "package dbward\n\ndisabled contains \"no_dorp\"\n", []string{"p.rego:3", `"no_dorp"`, "no such built-in rule", "no_drop"}, ErrUnknownRule},
		{"disabled set typo", "package dbward\n\ndisabled := {\"no_drop\", \"no_trunc\"}\n", []string{"p.rego:3", `"no_trunc"`}, ErrUnknownRule},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writePolicies(t, map[string]string{"p.rego": c.src})
			_, err := New(context.Background(), Options{Paths: []string{dir}})
			if err == nil {
				t.Fatal("New accepted a broken policy")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			var astErrs ast.Errors
			if c.is == nil && !errors.As(err, &astErrs) {
				t.Errorf("error %v does not wrap ast.Errors", err)
			}
			// Test checks and compiles the same way.
			if _, _, terr := Test(context.Background(), []string{dir}, &strings.Builder{}, false); terr == nil {
				t.Errorf("Test accepted the broken policy")
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"a.rego": "package dbward\n\nrules.x := \n",
		"b.rego": "package dbward\n\nrules.y := {\n",
	})
	_, err := New(context.Background(), Options{Paths: []string{dir}})
	if err == nil || !strings.Contains(err.Error(), "a.rego:") || !strings.Contains(err.Error(), "b.rego:") {
		t.Fatalf("got %v, want errors for a.rego and b.rego", err)
	}
}

func TestPaths(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"deny_all.rego":       "package dbward\n\nrules.all := {\"action\": \"deny\"}\n",
		"nested/approve.rego": "package dbward\n\nrules.nested := {\"action\": \"approve\"}\n",
		// Tests are not loaded by New: this one would not even parse.
		"deny_all_test.rego": "package dbward_test\n\ntest_x if {\n",
		"README.md":          "not rego",
	})
	st := stmt(analyze.KindSelect, []string{"SELECT"})
	for _, c := range []struct {
		name  string
		paths []string
		rule  string
	}{
		{"directory, recursively", []string{dir}, "all"},
		{"file", []string{filepath.Join(dir, "nested", "approve.rego")}, "nested"},
		{"overlapping paths load a file once", []string{dir, filepath.Join(dir, "deny_all.rego")}, "all"},
		{"no paths", nil, ""},
	} {
		e, err := New(context.Background(), Options{Paths: c.paths})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d := decide(t, e, bob, dev, st); d.Rule != c.rule {
			t.Errorf("%s: decided by %q, want %q", c.name, d.Rule, c.rule)
		}
	}
	_, err := New(context.Background(), Options{Paths: []string{filepath.Join(dir, "missing")}})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing path: got %v", err)
	}
}

func TestDecideWithoutStatement(t *testing.T) {
	e := newEngine(t)
	for _, in := range []*Input{nil, {Identity: bob, Datastore: dev}} {
		if _, err := e.Decide(context.Background(), in); !errors.Is(err, ErrNoStatement) {
			t.Errorf("got %v, want ErrNoStatement", err)
		}
	}
}

func TestDecideCancelled(t *testing.T) {
	e, err := New(context.Background(), Options{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Decide(ctx, &Input{Identity: bob, Datastore: dev, Statement: stmt(analyze.KindSelect, []string{"SELECT"})})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestBuiltinModules(t *testing.T) {
	m := BuiltinModules()
	for _, name := range []string{"dbward.rego", "combine.rego", "guardrails.rego", "guardrails_test.rego", "combine_test.rego"} {
		if !strings.Contains(m[name], "package dbward") {
			t.Errorf("BuiltinModules()[%q] is not a dbward module", name)
		}
	}
}
