package policy

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

type jsonNumber = json.Number

//go:embed builtin/*.rego
var builtinFS embed.FS

// BuiltinModules returns the built-in bundle: file name → Rego source.
func BuiltinModules() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	for _, e := range entries {
		b, _ := builtinFS.ReadFile("builtin/" + e.Name())
		out["builtin/"+e.Name()] = string(b)
	}
	return out
}

// Options configure New.
type Options struct {
	// Paths are .rego files or directories of them (searched recursively);
	// files ending in _test.rego are left to Test.
	Paths []string
	// CacheSize bounds the decision cache. If zero, 100,000 decisions.
	CacheSize int
}

// Engine evaluates data.dbward.decision. It is safe for concurrent use.
type Engine struct {
	query     rego.PreparedEvalQuery
	readsText bool // a user policy reads input.statement.text
	cache     *cache
}

// ErrReserved is wrapped when a user policy defines a name the decision
// logic owns.
var ErrReserved = errors.New("policy defines a reserved name")

var reserved = map[string]bool{"decision": true, "effective": true, "invalid": true, "strictest": true, "rank": true, "is_disabled": true}

// New compiles the built-in bundle with the policies under opts.Paths.
// A broken policy is an error naming the file and line.
func New(ctx context.Context, opts Options) (*Engine, error) {
	user, err := loadFiles(opts.Paths, false)
	if err != nil {
		return nil, err
	}
	modules, err := parseModules(user)
	if err != nil {
		return nil, err
	}
	e := &Engine{cache: newCache(opts.CacheSize)}
	for file, m := range modules {
		if strings.HasPrefix(file, "builtin/") {
			continue
		}
		if m.Package.Path.String() == "data.dbward" {
			for _, r := range m.Rules {
				if name := r.Head.Name.String(); reserved[name] || (len(r.Head.Reference) > 0 && reserved[r.Head.Reference[0].Value.String()]) {
					return nil, fmt.Errorf("%s:%d: %w: %q belongs to dbward's decision logic; write rules[\"your_rule\"] := {...} instead",
						file, r.Location.Row, ErrReserved, r.Head.Reference.String())
				}
			}
		}
		if readsStatementText(m) {
			e.readsText = true
		}
	}
	opts2 := []func(*rego.Rego){rego.Query("data.dbward.decision")}
	for _, m := range modules {
		opts2 = append(opts2, rego.ParsedModule(m))
	}
	pq, err := rego.New(opts2...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policies: %w", err)
	}
	e.query = pq
	return e, nil
}

// readsStatementText reports whether a module refers to input.statement.text.
func readsStatementText(m *ast.Module) bool {
	found := false
	ast.WalkRefs(m, func(r ast.Ref) bool {
		if len(r) >= 3 && r[0].Equal(ast.InputRootDocument) &&
			r[1].Value.Compare(ast.String("statement")) == 0 {
			if s, ok := r[2].Value.(ast.String); !ok || s == "text" {
				found = true // ["text"] or a computed key that could be it
			}
		}
		if len(r) == 2 && r[0].Equal(ast.InputRootDocument) && r[1].Value.Compare(ast.String("statement")) == 0 {
			found = true // the whole statement object escapes into the rule
		}
		return found
	})
	return found
}

// Decide evaluates the decision for in. Decisions are cached (see doc.go).
func (e *Engine) Decide(ctx context.Context, in *Input) (Decision, error) {
	key := e.key(in)
	if d, ok := e.cache.get(key); ok {
		return d, nil
	}
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(in.value()))
	if err != nil {
		return Decision{}, fmt.Errorf("evaluating policy: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, errors.New("evaluating policy: data.dbward.decision is undefined")
	}
	d, err := decisionFrom(rs[0].Expressions[0].Value)
	if err != nil {
		return Decision{}, err
	}
	e.cache.put(key, d)
	return d, nil
}

// loadFiles reads .rego files under paths: policies (tests=false) or tests.
func loadFiles(paths []string, tests bool) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".rego") {
				return nil
			}
			if !tests && strings.HasSuffix(path, "_test.rego") {
				return nil // tests run under Test only
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[path] = string(b)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading policies: %w", err)
		}
	}
	return out, nil
}

// parseModules parses the built-in bundle and the given files as Rego v1.
func parseModules(files map[string]string) (map[string]*ast.Module, error) {
	all := BuiltinModules()
	for k, v := range files {
		all[k] = v
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	out := map[string]*ast.Module{}
	var errs []string
	for _, name := range names {
		m, err := ast.ParseModuleWithOpts(name, all[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out[name] = m
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("parsing policies: %s", strings.Join(errs, "\n"))
	}
	return out, nil
}
