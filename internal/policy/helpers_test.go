package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

var (
	alice  = Identity{Name: "alice@example.com", Kind: "human", Groups: []string{"dba"}}
	bob    = Identity{Name: "bob@example.com", Kind: "human", Groups: []string{"analysts"}}
	claude = Identity{Name: "claude@alice", Kind: "agent", Groups: []string{"agents"}, Owner: "alice@example.com", Fingerprint: "anthropic/claude-code"}

	prod    = Datastore{Name: "shop", Engine: "postgres", Environment: "prod"}
	dev     = Datastore{Name: "shop_dev", Engine: "postgres", Environment: "dev"}
	scratch = Datastore{Name: "scratch", Engine: "postgres", Environment: "prod"}
)

var fingerprints atomic.Int64

// stmt makes statement facts as the analyzer would for a statement running
// commands, with a fingerprint of its own. Options adjust the facts.
func stmt(kind analyze.Kind, commands []string, opts ...func(*analyze.Statement)) *analyze.Statement {
	s := &analyze.Statement{
		Text: strings.Join(commands, "; ") + " …", Kind: kind, Command: commands[0], Commands: commands,
		Where: true, Fingerprint: fmt.Sprintf("%016x", fingerprints.Add(1)),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func flags(fs ...string) func(*analyze.Statement) {
	return func(s *analyze.Statement) { s.Flags = fs }
}

func unbounded(s *analyze.Statement) { s.Where, s.Destructive = false, true }

func tables(ts ...analyze.Table) func(*analyze.Statement) {
	return func(s *analyze.Statement) { s.Tables = ts }
}

func unparsed(s *analyze.Statement) {
	s.Kind, s.Flags, s.Fingerprint, s.ParseError = analyze.KindUnknown, []string{analyze.FlagUnparsed}, "", `syntax error at or near "SELEC"`
	s.Destructive, s.Dynamic = true, true
}

// writePolicies writes files (name → source) into a new directory.
func writePolicies(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newEngine compiles the built-in bundle with the given policy sources,
// each written to a file of its own.
func newEngine(t testing.TB, policies ...string) *Engine {
	t.Helper()
	files := map[string]string{}
	for i, src := range policies {
		files[fmt.Sprintf("p%d.rego", i)] = src
	}
	e, err := New(context.Background(), Options{Paths: []string{writePolicies(t, files)}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func decide(t testing.TB, e *Engine, id Identity, ds Datastore, st *analyze.Statement) Decision {
	t.Helper()
	d, err := e.Decide(context.Background(), &Input{Identity: id, Datastore: ds, Statement: st})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
