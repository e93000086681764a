package policy

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Options configure New.
type Options struct {
	// Paths are the user's policies: files, read as Rego whatever their
	// name, or directories, searched recursively for *.rego. Files named
	// *_test.rego are tests: New skips them, Test runs them. If empty,
	// only the built-in guardrails apply.
	Paths []string

	// CacheSize bounds the decision cache. If zero, 100,000 decisions; if
	// negative, decisions are not cached.
	CacheSize int

	// CompileMask, if set, turns a decision's mask into the form its user
	// works with (Decision.MaskPlan), once per decision made, so that cached
	// decisions carry it ready. An error fails the decision: the statement
	// is refused. (The policy engine does not know what masks mean.)
	CompileMask func(map[string]any) (any, error)
}

// DefaultCacheSize is the decision cache bound when Options.CacheSize is 0.
const DefaultCacheSize = 100_000

// Query is the document dbward evaluates for every statement.
const Query = "data.dbward.decision"

// ErrNoStatement is returned by Decide for an input without a statement.
var ErrNoStatement = errors.New("policy: input has no statement")

// Engine decides statements with one compiled policy set: the built-in
// bundle and the user's policies. It is safe for concurrent use.
type Engine struct {
	compileMask func(map[string]any) (any, error)

	query rego.PreparedEvalQuery
	reads reads        // what of the input the policies may read
	seed  maphash.Seed // for cache key digests
	cache *cache       // nil: no caching
}

// New loads and compiles the built-in bundle with the policies under
// opts.Paths, and prepares data.dbward.decision for evaluation.
//
// A policy that does not parse or compile gives an error naming file:line
// with the Rego compiler's message (an ast.Errors, reachable with
// errors.As). A policy that defines data.dbward.decision or anything in
// package dbward.builtin gives an error wrapping ErrReserved; one that
// disables a built-in rule that does not exist, ErrUnknownRule.
func New(ctx context.Context, opts Options) (*Engine, error) {
	user, err := loadFiles(opts.Paths, false)
	if err != nil {
		return nil, err
	}
	compiler, _, err := compile(user, false)
	if err != nil {
		return nil, err
	}
	pq, err := rego.New(
		rego.Compiler(compiler),
		rego.Query(Query),
		rego.GenerateJSON(generateDecision),
		// A built-in function's error (to_number("x"), a bad regex) is an
		// evaluation error, not an undefined result: a rule never silently
		// fails to apply because of one.
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: preparing %s: %w", Query, err)
	}
	e := &Engine{query: pq, reads: analyzeReads(compiler.Modules), seed: maphash.MakeSeed(), compileMask: opts.CompileMask}
	switch {
	case opts.CacheSize < 0:
	case e.reads.nondeterministic != "":
		// A decision that depends on the time of day or an HTTP call
		// cannot be reused.
	case opts.CacheSize == 0:
		e.cache = newCache(DefaultCacheSize)
	default:
		e.cache = newCache(opts.CacheSize)
	}
	return e, nil
}

// compile parses the built-in bundle and the user's files (and their tests
// when tests is true), checks the user's modules against what belongs to
// dbward, and compiles everything.
func compile(user map[string]string, tests bool) (*ast.Compiler, map[string]*ast.Module, error) {
	builtin, users, err := parseModules(user, tests)
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	if err := checkUser(users, builtinRuleNames(builtin)); err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	all := maps.Clone(builtin)
	maps.Copy(all, users)
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(tests)
	if c.Compile(all); c.Failed() {
		return nil, nil, fmt.Errorf("policy: %w", c.Errors)
	}
	return c, all, nil
}

// Decide returns the decision for in: data.dbward.decision evaluated with
// in as input. Decisions are cached (see doc.go, Caching); the Decision
// returned is shared and must not be modified.
//
// An evaluation error (conflicting values for a rule, an error in a
// built-in function, a cancelled ctx) is returned, and never cached: the
// caller refuses the statement.
func (e *Engine) Decide(ctx context.Context, in *Input) (Decision, error) {
	if in == nil || in.Statement == nil {
		return Decision{}, ErrNoStatement
	}
	if e.cache == nil {
		return e.eval(ctx, in)
	}
	k := e.key(in)
	if d, ok := e.cache.get(k); ok {
		return d, nil
	}
	d, err := e.eval(ctx, in)
	if err != nil {
		return Decision{}, err
	}
	e.cache.put(k, d)
	return d, nil
}

// Cached is Decide from the decision cache only: ok is false when in would
// have to be evaluated. It never evaluates, so it is quick and cannot fail.
func (e *Engine) Cached(in *Input) (d Decision, ok bool) {
	if in == nil || in.Statement == nil || e.cache == nil {
		return Decision{}, false
	}
	return e.cache.get(e.key(in))
}

// eval evaluates the prepared query for in.
func (e *Engine) eval(ctx context.Context, in *Input) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("policy: evaluating %s: %w", Query, err)
	}
	// Cancel evaluation when ctx ends, without the goroutine per
	// evaluation rego starts otherwise.
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(in.value()), rego.EvalExternalCancel(cancel))
	if err != nil {
		return Decision{}, fmt.Errorf("policy: evaluating %s: %w", Query, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("policy: %s is undefined", Query)
	}
	d, ok := rs[0].Expressions[0].Value.(Decision)
	if !ok {
		return Decision{}, fmt.Errorf("BUG: policy: %s gave %T", Query, rs[0].Expressions[0].Value)
	}
	if d.Mask != nil && e.compileMask != nil {
		if d.MaskPlan, err = e.compileMask(d.Mask); err != nil {
			return Decision{}, fmt.Errorf("policy: the mask of rule %q: %w", d.Rule, err)
		}
	}
	return d, nil
}

// generateDecision turns the query's result into a Decision directly,
// instead of into generic JSON values first.
func generateDecision(t *ast.Term, _ *rego.EvalContext) (any, error) {
	return decisionFrom(t.Value)
}
