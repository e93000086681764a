package policy

import (
	"context"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

// docBlock returns the indented block of the package documentation that
// follows the line ending in intro, un-indented.
func docBlock(t *testing.T, intro string) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, intro+"\n")
	if i < 0 {
		t.Fatalf("doc.go has no %q", intro)
	}
	var out []string
	for _, line := range strings.Split(text[i+len(intro)+1:], "\n") {
		switch {
		case strings.HasPrefix(line, "//\t"):
			out = append(out, line[3:])
		case line == "//" && len(out) == 0:
		case line == "//":
			out = append(out, "")
		default:
			return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
		}
	}
	return ""
}

// TestDocExamples keeps the examples of doc.go true: they are the files
// of testdata/example, which load, decide as doc.go says, and pass their
// tests.
func TestDocExamples(t *testing.T) {
	for intro, file := range map[string]string{
		"A worked example, policies/shop.rego:":   "testdata/example/shop.rego",
		"Write tests with `with input as {...}`:": "testdata/example/shop_test.rego",
	} {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := docBlock(t, intro); got != string(want) {
			t.Errorf("doc.go example after %q differs from %s:\n%s", intro, file, got)
		}
	}

	e, err := New(context.Background(), Options{Paths: []string{"testdata/example"}})
	if err != nil {
		t.Fatal(err)
	}
	orders := tables(analyze.Table{Schema: "public", Name: "orders", Access: analyze.AccessWrite})
	for _, c := range []struct {
		ds     Datastore
		st     *analyze.Statement
		action Action
		rule   string
	}{
		{scratch, stmt(analyze.KindDDL, []string{"DROP TABLE"}), Allow, "no_drop"},
		{prod, stmt(analyze.KindDDL, []string{"DROP TABLE"}), Deny, "no_drop"},
		{prod, stmt(analyze.KindDelete, []string{"DELETE"}, orders), Approve, "prod_deletes"},
		{prod, stmt(analyze.KindDelete, []string{"DELETE"}, orders, unbounded), Deny, "no_unbounded_write"},
	} {
		if d := decide(t, e, bob, c.ds, c.st); d.Action != c.action || d.Rule != c.rule {
			t.Errorf("%s %s on %s: got %s by %q, want %s by %q", c.st.Command, c.st.Kind, c.ds.Name, d.Action, d.Rule, c.action, c.rule)
		}
	}
	var out strings.Builder
	if _, failed, err := Test(context.Background(), []string{"testdata/example"}, &out, false); err != nil || failed > 0 {
		t.Fatalf("example tests: %v\n%s", err, &out)
	}
}

// TestImports keeps the layers pointing one way (STYLE habit 1): policy
// imports nothing of the network or the protocol session.
func TestImports(t *testing.T) {
	forbidden := []string{"net/http", "github.com/dbward/dbward/internal/pgwire", "github.com/dbward/dbward/internal/upstream",
		"github.com/dbward/dbward/internal/audit", "github.com/dbward/dbward/internal/mask"}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		name := entry.Name()
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
		if isDoc := f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package policy"); isDoc != (name == "doc.go") {
			t.Errorf("%s: package comment present = %v; it belongs in doc.go, and only there", name, isDoc)
		}
	}
}
