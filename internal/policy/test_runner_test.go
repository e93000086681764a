package policy

import (
	"context"
	"strings"
	"testing"
)

// TestTest runs testdata/policytest like `dbward policy test`: the user's
// passing and failing tests, and the built-in bundle's.
func TestTest(t *testing.T) {
	builtinPassed, _, err := Test(context.Background(), nil, &strings.Builder{}, false)
	if err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	passed, failed, err := Test(context.Background(), []string{"testdata/policytest"}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if passed != builtinPassed+2 || failed != 1 {
		t.Errorf("%d passed, %d failed; want %d passed, 1 failed", passed, failed, builtinPassed+2)
	}
	want := "FAIL  data.dbward_test.test_merge_allowed (testdata/policytest/wrong_test.rego:6)\n" +
		"      decided by merge_needs_approval\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", &out, want)
	}

	var verbose strings.Builder
	if _, _, err := Test(context.Background(), []string{"testdata/policytest"}, &verbose, true); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"PASS  data.dbward_test.test_merge_needs_approval (testdata/policytest/merges_test.rego:11)\n",
		"PASS  data.dbward.builtin_test.test_no_drop (<builtin>/guardrails_test.rego:",
		"FAIL  data.dbward_test.test_merge_allowed",
	} {
		if !strings.Contains(verbose.String(), line) {
			t.Errorf("verbose output lacks %q:\n%s", line, &verbose)
		}
	}
}

func TestTestSkipsNothingButReportsErrors(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"p_test.rego": `package dbward_test

test_conflict if {
	{"a": v | some v in [1, 2]} == {}
}

test_fine if true
`,
	})
	var out strings.Builder
	passed, failed, err := Test(context.Background(), []string{dir}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if failed != 1 || !strings.Contains(out.String(), "ERROR data.dbward_test.test_conflict") {
		t.Fatalf("passed %d failed %d:\n%s", passed, failed, &out)
	}
}
