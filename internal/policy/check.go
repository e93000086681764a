package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ErrReserved is wrapped by New and Test when a user policy defines
// something that belongs to dbward: data.dbward.decision, or anything in
// package dbward.builtin.
var ErrReserved = errors.New("belongs to dbward")

// ErrUnknownRule is wrapped by New and Test when a policy disables a
// built-in rule that does not exist (a typo would leave the rule on).
var ErrUnknownRule = errors.New("no such built-in rule")

var (
	dbwardPath  = ast.MustParseRef("data.dbward")
	builtinPath = ast.MustParseRef("data.dbward.builtin")
	decisionRef = ast.MustParseRef("data.dbward.decision")
)

// checkUser refuses user modules that would take over dbward's decision
// logic, and disabled entries that name no built-in rule. Every problem is
// reported, each with its file:line.
func checkUser(users map[string]*ast.Module, builtinRules map[string]bool) error {
	var errs []error
	files := make([]string, 0, len(users))
	for f := range users {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		m := users[file]
		pkg := m.Package.Path
		switch {
		case pkg.HasPrefix(builtinPath):
			errs = append(errs, fmt.Errorf("%s: package %s %w (it holds the built-in guardrails); "+
				"write your rules in package dbward as rules[\"name\"] := {...}, where a built-in's name replaces it",
				loc(m.Package.Location), strings.TrimPrefix(pkg.String(), "data."), ErrReserved))
			continue
		case pkg.HasPrefix(decisionRef):
			errs = append(errs, fmt.Errorf("%s: package %s %w (data.dbward.decision combines your rules with the built-in ones); "+
				"write rules[\"name\"] := {...} in package dbward instead", loc(m.Package.Location),
				strings.TrimPrefix(pkg.String(), "data."), ErrReserved))
			continue
		case !pkg.Equal(dbwardPath):
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			head, _ := ref[0].Value.(ast.Var)
			switch head {
			case "decision", "builtin":
				errs = append(errs, fmt.Errorf("%s: data.dbward.%s %w (data.dbward.decision combines your rules with the built-in ones); "+
					"write rules[\"name\"] := {...} to add a rule or replace a built-in one, and disabled contains \"name\" to switch one off",
					loc(r.Location), ref, ErrReserved))
			case "disabled":
				for _, name := range disabledNames(r) {
					if !builtinRules[name] {
						errs = append(errs, fmt.Errorf("%s: disabled contains %q: %w (built-in rules: %s)",
							loc(r.Location), name, ErrUnknownRule, strings.Join(sortedKeys(builtinRules), ", ")))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

// disabledNames returns the constant names a disabled rule lists:
// `disabled contains "x"` or `disabled := {"x", "y"}`.
func disabledNames(r *ast.Rule) []string {
	var out []string
	add := func(t *ast.Term) {
		if s, ok := t.Value.(ast.String); ok {
			out = append(out, string(s))
		}
	}
	switch {
	case r.Head.Key != nil && len(r.Head.Ref()) == 1:
		add(r.Head.Key)
	case r.Head.Value != nil:
		switch v := r.Head.Value.Value.(type) {
		case ast.Set:
			v.Foreach(add)
		case *ast.Array:
			v.Foreach(add)
		}
	}
	return out
}

// builtinRuleNames returns the names of the built-in guardrails: the rules
// in_prod.<name> and everywhere.<name> in package dbward.builtin.
func builtinRuleNames(builtin map[string]*ast.Module) map[string]bool {
	out := map[string]bool{}
	for _, m := range builtin {
		if !m.Package.Path.Equal(builtinPath) {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 2 && (ref[0].Value.Compare(ast.Var("in_prod")) == 0 || ref[0].Value.Compare(ast.Var("everywhere")) == 0) {
				if s, ok := ref[1].Value.(ast.String); ok {
					out[string(s)] = true
				}
			}
		}
	}
	return out
}

func loc(l *ast.Location) string {
	if l == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d", l.File, l.Row)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// reads is what of the input the loaded policies may look at, found by
// walking the compiled modules once. A decision can only depend on what a
// policy reads, so the cache key leaves out the rest (see doc.go).
type reads struct {
	text             bool   // input.statement.text (or the statement as a whole)
	intent           bool   // input.intent
	clientAddr       bool   // input.session.client_addr
	appName          bool   // input.session.application_name
	inTx             bool   // input.session.in_transaction
	nondeterministic string // the first non-deterministic built-in called; "" if none
}

func (r *reads) all() {
	r.text, r.intent, r.clientAddr, r.appName, r.inTx = true, true, true, true, true
}

var (
	sStatement, sText, sIntent, sSession = ast.String("statement"), ast.String("text"), ast.String("intent"), ast.String("session")
	sClientAddr, sAppName, sInTx         = ast.String("client_addr"), ast.String("application_name"), ast.String("in_transaction")
)

// analyzeReads walks compiled modules. It errs on the side of "reads": a
// reference to input as a whole, or with a key computed at run time, may
// read anything below it. It also notes the first non-deterministic
// built-in called (time.now_ns, http.send, …): decisions of such policies
// are not cached.
func analyzeReads(modules map[string]*ast.Module) reads {
	var r reads
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := modules[name]
		var visit func(t *ast.Term) bool
		visit = func(t *ast.Term) bool {
			switch v := t.Value.(type) {
			case ast.Var:
				if v.Equal(ast.InputRootDocument.Value) {
					r.all() // input as a whole
				}
			case ast.Ref:
				if v[0].Equal(ast.InputRootDocument) {
					r.input(v)
					for _, x := range v[1:] {
						ast.WalkTerms(x, visit) // keys may read input too
					}
					return true
				}
			case ast.Call:
				r.call(v[0])
			}
			return false
		}
		ast.WalkTerms(m, visit)
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if e.IsCall() {
				r.call(e.OperatorTerm())
			}
			return false
		})
	}
	return r
}

func (r *reads) input(ref ast.Ref) {
	if len(ref) < 2 {
		r.all()
		return
	}
	top, ok := ref[1].Value.(ast.String)
	if !ok {
		r.all()
		return
	}
	var sub ast.String
	subKnown := false
	if len(ref) > 2 {
		sub, subKnown = ref[2].Value.(ast.String)
	}
	switch top {
	case sStatement:
		if !subKnown || sub == sText {
			r.text = true
		}
	case sIntent:
		r.intent = true
	case sSession:
		if !subKnown {
			r.clientAddr, r.appName, r.inTx = true, true, true
		}
		switch sub {
		case sClientAddr:
			r.clientAddr = true
		case sAppName:
			r.appName = true
		case sInTx:
			r.inTx = true
		}
	}
}

func (r *reads) call(op *ast.Term) {
	ref, ok := op.Value.(ast.Ref)
	if !ok || r.nondeterministic != "" {
		return
	}
	if b, ok := ast.BuiltinMap[ref.String()]; ok && b.IsNondeterministic() {
		r.nondeterministic = b.Name
	}
}
