package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("datastores:\n  - name: shop\n"), 0o644)
	passing := filepath.Join(dir, "passing")
	failing := filepath.Join(dir, "failing")
	broken := filepath.Join(dir, "broken")
	for _, d := range []string{passing, failing, broken} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(passing, "p_test.rego"), []byte("package dbward_test\n\nimport data.dbward\n\ntest_ok if dbward.decision.action == \"allow\" with input as {\"statement\": {\"kind\": \"select\"}}\n"), 0o644)
	os.WriteFile(filepath.Join(failing, "p_test.rego"), []byte("package dbward_test\n\nimport data.dbward\n\ntest_bad if dbward.decision.action == \"deny\" with input as {\"statement\": {\"kind\": \"select\"}}\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "p.rego"), []byte("package dbward\n\nrules[\"x\" := \n"), 0o644)

	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"version"}, 0, "dbward", ""},
		{nil, 2, "", "usage: dbward"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, 2, "", "missing.yaml"},
		{[]string{"serve", "--config", badCfg}, 2, "", "bad.yaml:2: datastores[0].upstream.address"},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"policy"}, 2, "", "usage: dbward policy test"},
		{[]string{"policy", "test", "--config", badCfg, passing}, 0, "passed, 0 failed", ""},
		{[]string{"policy", "test", failing}, 1, "FAIL", ""},
		{[]string{"policy", "test", broken}, 2, "", "p.rego:3"},
		{[]string{"policy", "test", filepath.Join(dir, "nowhere")}, 2, "", "nowhere"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.inStdout) || !strings.Contains(errs, c.inStderr) {
			t.Errorf("dbward %v: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, out, errs)
		}
	}
}
