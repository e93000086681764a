package policy

import (
	"context"
	"fmt"
	"io"

	"github.com/open-policy-agent/opa/v1/tester"
)

// Test runs the Rego unit tests (rules named test_*) found in *_test.rego
// files under paths, together with the built-in bundle's own tests, like
// `opa test`. Failures (and every test when verbose) are written to w.
func Test(ctx context.Context, paths []string, w io.Writer, verbose bool) (passed, failed int, err error) {
	files, err := loadFiles(paths, true)
	if err != nil {
		return 0, 0, err
	}
	modules, err := parseModules(files)
	if err != nil {
		return 0, 0, err
	}
	ch, err := tester.NewRunner().SetModules(modules).Run(ctx, modules)
	if err != nil {
		return 0, 0, fmt.Errorf("running policy tests: %w", err)
	}
	for r := range ch {
		switch {
		case r.Error != nil:
			failed++
			fmt.Fprintf(w, "ERROR %s.%s (%s): %v\n", r.Package, r.Name, r.Location, r.Error)
		case r.Fail:
			failed++
			fmt.Fprintf(w, "FAIL  %s.%s (%s)\n", r.Package, r.Name, r.Location)
		case r.Skip:
		default:
			passed++
			if verbose {
				fmt.Fprintf(w, "PASS  %s.%s\n", r.Package, r.Name)
			}
		}
	}
	return passed, failed, nil
}
