package policy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// Test runs Rego unit tests like `opa test`: every rule named test_* in the
// policies under paths (tests live in *_test.rego files next to them) and
// in the built-in bundle, whose own tests hold whatever user policies are
// loaded. Policies are checked and compiled exactly as New does, so a
// broken or reserved-name policy is an error here too.
//
// Failures and errors are written to w, one per line with file:line and
// the test's print output indented below; with verbose, passing tests too.
// Lines are in file and line order. It returns how many tests passed and
// failed (errors count as failures); err is for policies that could not
// be loaded or compiled.
func Test(ctx context.Context, paths []string, w io.Writer, verbose bool) (passed, failed int, err error) {
	user, err := loadFiles(paths, true)
	if err != nil {
		return 0, 0, err
	}
	_, modules, err := compile(user, true)
	if err != nil {
		return 0, 0, err
	}
	// The runner compiles the modules itself (with test-only rewrites);
	// compile above is for the same checks and errors as New.
	ch, err := tester.NewRunner().
		SetDefaultRegoVersion(ast.RegoV1).
		SetModules(modules).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true). // as New evaluates
		RunTests(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("policy: running tests: %w", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i].Location, results[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row
	})
	for _, r := range results {
		name := fmt.Sprintf("%s.%s", r.Package, r.Name)
		where := fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		switch {
		case r.Error != nil:
			failed++
			fmt.Fprintf(w, "ERROR %s (%s): %v\n", name, where, r.Error)
		case r.Fail:
			failed++
			fmt.Fprintf(w, "FAIL  %s (%s)\n", name, where)
		case r.Skip:
			if verbose {
				fmt.Fprintf(w, "SKIP  %s (%s)\n", name, where)
			}
			continue
		default:
			passed++
			if !verbose {
				continue
			}
			fmt.Fprintf(w, "PASS  %s (%s)\n", name, where)
		}
		if out := bytes.TrimRight(r.Output, "\n"); len(out) > 0 {
			fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(string(out), "\n", "\n      "))
		}
	}
	return passed, failed, nil
}
