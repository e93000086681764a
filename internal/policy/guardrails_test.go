package policy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

// TestGuardrails is the specification of the built-in guardrails as a
// caller sees them through Decide.
func TestGuardrails(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		ddl       = analyze.KindDDL
		privilege = analyze.KindPrivilege
		unknown   = analyze.KindUnknown
	)
	cases := []struct {
		name string
		id   Identity
		st   *analyze.Statement
		prod string // rule that denies in prod; "" = allowed
		dev  string // rule that denies in dev; "" = allowed
	}{
		{"select", bob, stmt(analyze.KindSelect, []string{"SELECT"}), "", ""},
		{"bounded delete", bob, stmt(analyze.KindDelete, []string{"DELETE"}), "", ""},
		{"insert", bob, stmt(analyze.KindInsert, []string{"INSERT"}), "", ""},
		{"insert by an agent", claude, stmt(analyze.KindInsert, []string{"INSERT"}), "agent_writes_need_approval", ""}, // (approve)
		{"bounded delete by an agent", claude, stmt(analyze.KindDelete, []string{"DELETE"}), "agent_writes_need_approval", ""},
		{"select by an agent", claude, stmt(analyze.KindSelect, []string{"SELECT"}), "", ""},

		// In prod only.
		{"drop table", bob, stmt(ddl, []string{"DROP TABLE"}), "no_drop", ""},
		{"drop table by a dba", alice, stmt(ddl, []string{"DROP TABLE"}), "no_drop", ""},
		{"drop inside a DO block", bob, stmt(ddl, []string{"DO", "DROP SCHEMA"}), "no_drop", ""},
		{"drop database", alice, stmt(ddl, []string{"DROP DATABASE"}), "no_drop", ""},
		{"truncate", alice, stmt(ddl, []string{"TRUNCATE TABLE"}), "no_truncate", ""},
		{"unbounded delete", alice, stmt(analyze.KindDelete, []string{"DELETE"}, unbounded), "no_unbounded_write", ""},
		{"unbounded update", bob, stmt(analyze.KindUpdate, []string{"UPDATE"}, unbounded), "no_unbounded_write", ""},
		{"unbounded merge", bob, stmt(analyze.KindMerge, []string{"MERGE"}, unbounded), "no_unbounded_write", ""},
		{"agent creates a table", claude, stmt(ddl, []string{"CREATE TABLE"}), "no_agent_ddl", ""},
		{"human creates a table", bob, stmt(ddl, []string{"CREATE TABLE"}), "", ""},
		{"agent alters a table", claude, stmt(ddl, []string{"ALTER TABLE"}), "no_agent_ddl", ""},
		{"agent drops a table", claude, stmt(ddl, []string{"DROP TABLE"}), "no_agent_ddl", ""}, // no_drop too; the first name wins
		{"grant by a dba", alice, stmt(privilege, []string{"GRANT"}), "", ""},
		{"grant by an analyst", bob, stmt(privilege, []string{"GRANT"}), "privilege_dba_only", ""},
		{"grant by an agent", claude, stmt(privilege, []string{"GRANT"}), "privilege_dba_only", ""},
		{"create role by an analyst", bob, stmt(privilege, []string{"CREATE ROLE"}), "privilege_dba_only", ""},
		{"set role by an analyst", bob, stmt(privilege, []string{"SET"}), "privilege_dba_only", ""},
		{"dynamic SQL", alice, stmt(unknown, []string{"DO"}, flags(analyze.FlagDynamicSQL)), "unknown_effect", ""},
		{"volatile function", bob, stmt(unknown, []string{"SELECT"}, flags(analyze.FlagVolatileFunction)), "unknown_effect", ""},
		{"unknown prepared statement", bob, stmt(unknown, []string{"EXECUTE"}, flags(analyze.FlagUnknownPrepared)), "unknown_effect", ""},

		// In every environment.
		{"copy program", alice, stmt(analyze.KindCopy, []string{"COPY"}, flags(analyze.FlagCopyProgram)), "no_copy_program", "no_copy_program"},
		{"copy file", alice, stmt(analyze.KindCopy, []string{"COPY"}, flags(analyze.FlagCopyFile)), "no_copy_file", "no_copy_file"},
		{"alter system", alice, stmt(ddl, []string{"ALTER SYSTEM"}, flags(analyze.FlagAlterSystem)), "no_alter_system", "no_alter_system"},
		{"file access", alice, stmt(analyze.KindSelect, []string{"SELECT"}, flags(analyze.FlagFileAccess)), "no_file_access", "no_file_access"},
		{"load", alice, stmt(analyze.KindUtility, []string{"LOAD"}, flags(analyze.FlagLoad)), "no_load", "no_load"},
		{"unparsed", alice, stmt(unknown, []string{""}, unparsed), "unparseable", "unparseable"},
	}
	for _, c := range cases {
		for _, env := range []struct {
			ds   Datastore
			rule string
		}{{prod, c.prod}, {dev, c.dev}} {
			t.Run(c.name+"/"+env.ds.Environment, func(t *testing.T) {
				d := decide(t, e, c.id, env.ds, c.st)
				want := Allow
				switch env.rule {
				case "":
				case "agent_writes_need_approval":
					want = Approve
				default:
					want = Deny
				}
				if d.Action != want || d.Rule != env.rule {
					t.Fatalf("got %s by %q (%s), want %s by %q", d.Action, d.Rule, d.Reason, want, env.rule)
				}
				if want == Deny && (d.Reason == "" || d.Hint == "") {
					t.Fatalf("a denial without reason or hint: %+v", d)
				}
			})
		}
	}
}

// TestGuardrailMessages checks what a person reads when refused.
func TestGuardrailMessages(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id           Identity
		st           *analyze.Statement
		reason, hint string // substrings
	}{
		{bob, stmt(analyze.KindDDL, []string{"DROP TABLE"}), "DROP TABLE is not allowed in prod", "dbward check"},
		{bob, stmt(analyze.KindDelete, []string{"DELETE"}, unbounded), "DELETE without a WHERE clause", "WHERE true does not count"},
		{claude, stmt(analyze.KindDDL, []string{"CREATE INDEX"}), "schema changes (CREATE INDEX) by AI agents", "migration"},
		{bob, stmt(analyze.KindPrivilege, []string{"GRANT"}), "(GRANT) in prod are reserved to the dba group", "dba"},
		{bob, stmt(analyze.KindUnknown, []string{"SELECT"}, flags(analyze.FlagVolatileFunction), func(s *analyze.Statement) {
			s.Functions = []string{"public.bump_counter"}
		}), "may write (public.bump_counter)", "STABLE"},
		{bob, stmt(analyze.KindUnknown, []string{"DO"}, flags(analyze.FlagDynamicSQL)), "dynamic SQL", "instead of SQL built at run time"},
		{bob, stmt(analyze.KindCopy, []string{"COPY"}, flags(analyze.FlagCopyProgram)), "shell command", `\copy`},
		{bob, stmt(analyze.KindUnknown, []string{""}, unparsed), `syntax error at or near "SELEC"`, "fix the syntax"},
	}
	for _, c := range cases {
		d := decide(t, e, c.id, prod, c.st)
		if !strings.Contains(d.Reason, c.reason) || !strings.Contains(d.Hint, c.hint) {
			t.Errorf("%s: got reason %q hint %q; want them to contain %q and %q", d.Rule, d.Reason, d.Hint, c.reason, c.hint)
		}
	}
}

func TestBuiltinRuleNames(t *testing.T) {
	builtin, _, err := parseModules(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got := sortedKeys(builtinRuleNames(builtin))
	want := []string{"agent_writes_need_approval", "no_agent_ddl", "no_alter_system", "no_copy_file", "no_copy_program", "no_drop", "no_file_access",
		"no_load", "no_syntax_change", "no_truncate", "no_unbounded_write", "privilege_dba_only", "unknown_effect", "unparseable"}
	if !slices.Equal(got, want) {
		t.Fatalf("built-in rules %v, want %v", got, want)
	}
}

// TestBuiltinBundleTests runs the bundle's own Rego tests.
func TestBuiltinBundleTests(t *testing.T) {
	var out strings.Builder
	passed, failed, err := Test(context.Background(), nil, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if failed > 0 || passed < 25 {
		t.Fatalf("built-in bundle tests: %d passed, %d failed:\n%s", passed, failed, &out)
	}
}
