package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

var (
	human = Identity{Name: "bob", Kind: "human", Groups: []string{"analysts"}}
	dba   = Identity{Name: "alice", Kind: "human", Groups: []string{"dba"}}
	agent = Identity{Name: "claude", Kind: "agent", Groups: []string{"agents"}, Owner: "alice", Fingerprint: "anthropic/claude-code"}
	prod  = Datastore{Name: "shop", Engine: "postgres", Environment: "prod"}
	dev   = Datastore{Name: "shopdev", Engine: "postgres", Environment: "dev"}
)

var fpSeq atomic.Int64

// st makes statement facts with a fingerprint of their own, as distinct
// statements have.
func st(kind analyze.Kind, commands ...string) *analyze.Statement {
	return &analyze.Statement{Kind: kind, Command: commands[0], Commands: commands, Where: true,
		Fingerprint: fmt.Sprintf("fp%d", fpSeq.Add(1)), Text: strings.Join(commands, "; ")}
}

func with(s *analyze.Statement, f func(*analyze.Statement)) *analyze.Statement { f(s); return s }

func flagged(kind analyze.Kind, flag string, commands ...string) *analyze.Statement {
	return with(st(kind, commands...), func(s *analyze.Statement) { s.Flags = []string{flag} })
}

func unbounded(cmd string) *analyze.Statement {
	return with(st(analyze.Kind(strings.ToLower(cmd)), cmd), func(s *analyze.Statement) { s.Where, s.Destructive = false, true })
}

func TestBuiltinGuardrails(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   Identity
		ds   Datastore
		st   *analyze.Statement
		rule string // "" = allowed
	}{
		{"select", human, prod, st(analyze.KindSelect, "SELECT"), ""},
		{"drop prod", human, prod, st(analyze.KindDDL, "DROP TABLE"), "no_drop"},
		{"drop prod dba", dba, prod, st(analyze.KindDDL, "DROP TABLE"), "no_drop"},
		{"drop dev", human, dev, st(analyze.KindDDL, "DROP TABLE"), ""},
		{"drop inside DO", human, prod, st(analyze.KindDDL, "DO", "DROP SCHEMA"), "no_drop"},
		{"truncate prod", human, prod, st(analyze.KindDDL, "TRUNCATE TABLE"), "no_truncate"},
		{"truncate dev", human, dev, st(analyze.KindDDL, "TRUNCATE TABLE"), ""},
		{"delete no where prod", human, prod, unbounded("DELETE"), "no_unbounded_write"},
		{"update no where prod", human, prod, unbounded("UPDATE"), "no_unbounded_write"},
		{"delete no where dev", human, dev, unbounded("DELETE"), ""},
		{"delete with where", human, prod, st(analyze.KindDelete, "DELETE"), ""},
		{"agent ddl prod", agent, prod, st(analyze.KindDDL, "CREATE TABLE"), "no_agent_ddl"},
		{"human ddl prod", human, prod, st(analyze.KindDDL, "CREATE TABLE"), ""},
		{"agent ddl dev", agent, dev, st(analyze.KindDDL, "CREATE TABLE"), ""},
		{"grant prod", human, prod, st(analyze.KindPrivilege, "GRANT"), "privilege_dba_only"},
		{"grant prod agent", agent, prod, st(analyze.KindPrivilege, "GRANT"), "privilege_dba_only"},
		{"grant prod dba", dba, prod, st(analyze.KindPrivilege, "GRANT"), ""},
		{"set role dev", human, dev, st(analyze.KindPrivilege, "SET"), ""},
		{"unknown prod", human, prod, flagged(analyze.KindUnknown, analyze.FlagDynamicSQL, "DO"), "unknown_effect"},
		{"volatile prod", human, prod, flagged(analyze.KindUnknown, analyze.FlagVolatileFunction, "SELECT"), "unknown_effect"},
		{"unknown dev", human, dev, flagged(analyze.KindUnknown, analyze.FlagDynamicSQL, "DO"), ""},
		{"copy program dev", dba, dev, flagged(analyze.KindCopy, analyze.FlagCopyProgram, "COPY"), "no_copy_program"},
		{"copy file dev", dba, dev, flagged(analyze.KindCopy, analyze.FlagCopyFile, "COPY"), "no_copy_file"},
		{"alter system dev", dba, dev, flagged(analyze.KindDDL, analyze.FlagAlterSystem, "ALTER SYSTEM"), "no_alter_system"},
		{"file access dev", dba, dev, flagged(analyze.KindSelect, analyze.FlagFileAccess, "SELECT"), "no_file_access"},
		{"load dev", dba, dev, flagged(analyze.KindUtility, analyze.FlagLoad, "LOAD"), "no_load"},
		{"unparsed dev", dba, dev, flagged(analyze.KindUnknown, analyze.FlagUnparsed, ""), "unparseable"},
		{"unparsed prod", dba, prod, flagged(analyze.KindUnknown, analyze.FlagUnparsed, ""), "unparseable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Decide(context.Background(), &Input{Identity: c.id, Datastore: c.ds, Statement: c.st})
			if err != nil {
				t.Fatal(err)
			}
			want := Allow
			if c.rule != "" {
				want = Deny
			}
			if d.Action != want || d.Rule != c.rule {
				t.Fatalf("got %s by %q (%s), want %s by %q", d.Action, d.Rule, d.Reason, want, c.rule)
			}
			if want == Deny && (d.Reason == "" || d.Hint == "") {
				t.Fatalf("denial without reason or hint: %+v", d)
			}
		})
	}
}

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUserOverrides(t *testing.T) {
	dir := writePolicy(t, `package dbward

# an exception: drops are fine in the scratch schema
rules["no_drop"] := {"action": "allow"} if {
	every t in input.statement.tables { t.schema == "scratch" }
}

disabled contains "no_truncate"

rules["agents_no_secrets"] := {"action": "deny", "reason": "agents may not read api_keys"} if {
	input.identity.kind == "agent"
	some t in input.statement.tables
	t.name == "api_keys"
}

rules["big_deletes_need_approval"] := {"action": "approve", "reason": "deletes need a second pair of eyes",
	"approvals": {"count": 2, "distinct_groups": true, "required_groups": ["dba", "security"]}} if {
	input.statement.kind == "delete"
}
`)
	e, err := New(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	tables := func(s *analyze.Statement, schema, name string) *analyze.Statement {
		s.Tables = []analyze.Table{{Schema: schema, Name: name, Access: analyze.AccessDDL}}
		s.Fingerprint += schema + name
		return s
	}
	cases := []struct {
		name   string
		id     Identity
		st     *analyze.Statement
		action Action
		rule   string
	}{
		{"exception applies", human, tables(st(analyze.KindDDL, "DROP TABLE"), "scratch", "t"), Allow, "no_drop"},
		{"exception does not apply", human, tables(st(analyze.KindDDL, "DROP TABLE"), "public", "t"), Deny, "no_drop"},
		{"disabled", human, tables(st(analyze.KindDDL, "TRUNCATE TABLE"), "public", "orders"), Allow, ""},
		{"new rule", agent, tables(st(analyze.KindSelect, "SELECT"), "", "api_keys"), Deny, "agents_no_secrets"},
		{"approve", human, st(analyze.KindDelete, "DELETE"), Approve, "big_deletes_need_approval"},
		{"deny beats approve", human, unbounded("DELETE"), Deny, "no_unbounded_write"},
	}
	for _, c := range cases {
		d, err := e.Decide(context.Background(), &Input{Identity: c.id, Datastore: prod, Statement: c.st})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d.Action != c.action || d.Rule != c.rule {
			t.Errorf("%s: got %s by %q, want %s by %q", c.name, d.Action, d.Rule, c.action, c.rule)
		}
		if d.Action == Approve && (d.Approvals == nil || d.Approvals.Count != 2 || !d.Approvals.DistinctGroups || len(d.Approvals.RequiredGroups) != 2) {
			t.Errorf("%s: approvals = %+v", c.name, d.Approvals)
		}
	}
}

func TestBrokenPolicies(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"syntax":      {"package dbward\n\nrules[\"x\"] := {\n", "p.rego:"},
		"reserved":    {"package dbward\n\ndecision := {\"action\": \"allow\"}\n", "reserved"},
		"unsafe var":  {"package dbward\n\nrules[\"x\"] := {\"action\": \"deny\"} if { y > 1 }\n", "p.rego:3"},
		"not rego v1": {"package dbward\n\nrules[\"x\"] = {\"action\": \"deny\"} { true }\n", "p.rego:3"},
	}
	for name, c := range cases {
		_, err := New(context.Background(), Options{Paths: []string{writePolicy(t, c.src)}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
		if name == "reserved" && !errors.Is(err, ErrReserved) {
			t.Errorf("reserved: not ErrReserved: %v", err)
		}
	}
}

func TestInvalidActionFailsClosed(t *testing.T) {
	dir := writePolicy(t, `package dbward

rules["typo"] := {"action": "alow"}
`)
	e, err := New(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Decide(context.Background(), &Input{Identity: human, Datastore: dev, Statement: st(analyze.KindSelect, "SELECT")})
	if err != nil || d.Action != Deny || d.Rule != "typo" {
		t.Fatalf("got %+v, %v; want deny by typo", d, err)
	}
}

func TestConflictingRulesError(t *testing.T) {
	dir := writePolicy(t, `package dbward

rules["x"] := {"action": "deny"} if input.statement.kind == "select"
rules["x"] := {"action": "allow"} if input.statement.command == "SELECT"
`)
	e, err := New(context.Background(), Options{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Decide(context.Background(), &Input{Identity: human, Datastore: dev, Statement: st(analyze.KindSelect, "SELECT")}); err == nil {
		t.Fatal("conflicting rule values evaluated without error")
	}
}

func TestCacheKeys(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &analyze.Statement{Kind: analyze.KindSelect, Fingerprint: "f1", Text: "SELECT 1"}
	b := &analyze.Statement{Kind: analyze.KindSelect, Fingerprint: "f1", Text: "SELECT 2"}
	if e.key(&Input{Statement: a}) != e.key(&Input{Statement: b}) {
		t.Error("same fingerprint, different literals: keys differ")
	}
	a.LiteralSensitive, b.LiteralSensitive = true, true
	if e.key(&Input{Statement: a}) == e.key(&Input{Statement: b}) {
		t.Error("literal-sensitive statements share a key")
	}
	if e.key(&Input{Statement: a, Intent: map[string]string{"ticket": "1"}}) == e.key(&Input{Statement: a}) {
		t.Error("intent not in the key")
	}
	textPolicy, err := New(context.Background(), Options{Paths: []string{writePolicy(t, `package dbward

rules["no_secrets"] := {"action": "deny", "reason": "x"} if contains(input.statement.text, "secret")
`)}})
	if err != nil {
		t.Fatal(err)
	}
	if !textPolicy.readsText {
		t.Fatal("a policy reading statement.text was not detected")
	}
	for _, text := range []string{"SELECT 'public'", "SELECT 'secret'"} {
		d, _ := textPolicy.Decide(context.Background(), &Input{Identity: human, Datastore: dev,
			Statement: &analyze.Statement{Kind: analyze.KindSelect, Fingerprint: "same", Text: text, Where: true}})
		if want := strings.Contains(text, "secret"); (d.Action == Deny) != want {
			t.Errorf("%s: got %s", text, d.Action)
		}
	}
}

func TestRegoTests(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rego"), []byte("package dbward\n\nrules[\"x\"] := {\"action\": \"deny\", \"reason\": \"r\"} if input.statement.kind == \"merge\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p_test.rego"), []byte(`package dbward_test

import data.dbward

test_merge_denied if {
	dbward.decision.rule == "x" with input as {"statement": {"kind": "merge", "flags": [], "commands": []}, "datastore": {}, "identity": {}}
}

test_wrong if {
	dbward.decision.rule == "y" with input as {"statement": {"kind": "merge", "flags": [], "commands": []}, "datastore": {}, "identity": {}}
}
`), 0o644)
	var out strings.Builder
	passed, failed, err := Test(context.Background(), []string{dir}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	// The built-in bundle's own tests pass too.
	if failed != 1 || passed < 5 || !strings.Contains(out.String(), "test_wrong") {
		t.Fatalf("passed %d failed %d:\n%s", passed, failed, out.String())
	}
}

func TestStrictest(t *testing.T) {
	a, p, d := Decision{Action: Allow}, Decision{Action: Approve, Rule: "p"}, Decision{Action: Deny, Rule: "d"}
	if Strictest(a, p, d).Rule != "d" || Strictest(a, p).Rule != "p" || Strictest().Action != Allow {
		t.Fatal("Strictest ordering wrong")
	}
}

func BenchmarkDecideCached(b *testing.B) {
	e, _ := New(context.Background(), Options{})
	in := &Input{Identity: human, Datastore: prod, Statement: st(analyze.KindSelect, "SELECT")}
	e.Decide(context.Background(), in)
	for b.Loop() {
		e.Decide(context.Background(), in)
	}
}

func BenchmarkDecideUncached(b *testing.B) {
	e, _ := New(context.Background(), Options{CacheSize: 1})
	ins := []*Input{
		{Identity: human, Datastore: prod, Statement: st(analyze.KindSelect, "SELECT")},
		{Identity: human, Datastore: prod, Statement: unbounded("DELETE")},
	}
	i := 0
	for b.Loop() {
		e.cache.m = map[cacheKey]Decision{}
		e.Decide(context.Background(), ins[i%2])
		i++
	}
}

func TestCachedDecideAllocations(t *testing.T) {
	e, _ := New(context.Background(), Options{})
	in := &Input{Identity: human, Datastore: prod, Statement: st(analyze.KindSelect, "SELECT")}
	e.Decide(context.Background(), in)
	if n := testing.AllocsPerRun(100, func() { e.Decide(context.Background(), in) }); n > 0 {
		t.Fatalf("cached Decide allocates %.0f times", n)
	}
}
