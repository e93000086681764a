package policy

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

const overrides = `package dbward

import data.company.sensitive

# An exception: drops are fine on the scratch datastore.
rules.no_drop := {"action": "allow", "reason": "scratch is disposable"} if input.datastore.name == "scratch"

# The other spelling of a ref head works the same way. A replacement
# applies whenever it is defined, so it states its conditions in full.
rules["no_truncate"] := {"action": "approve", "reason": "truncating needs a second pair of eyes"} if {
	input.datastore.name == "scratch"
	"TRUNCATE TABLE" in input.statement.commands
}

# A built-in switched off.
disabled contains "no_load"

# A new rule, with a helper from another package.
rules.agents_no_secrets := {
	"action": "deny",
	"reason": "AI agents may not read secrets",
	"hint": "ask your owner",
} if {
	input.identity.kind == "agent"
	some t in input.statement.tables
	sensitive[t.name]
}

# A new approve rule with a quorum.
rules.prod_deletes_need_approval := {
	"action": "approve",
	"reason": "deletes in prod need approval",
	"approvals": {"count": 2, "distinct_groups": true, "required_groups": ["dba", "security"]},
} if {
	input.datastore.environment == "prod"
	input.statement.kind == "delete"
}
`

const sensitiveLib = `package company

sensitive contains "api_keys"
`

func TestOverrides(t *testing.T) {
	e := newEngine(t, overrides, sensitiveLib)
	apiKeys := tables(analyze.Table{Schema: "public", Name: "api_keys", Access: analyze.AccessRead})
	cases := []struct {
		name   string
		id     Identity
		ds     Datastore
		st     *analyze.Statement
		action Action
		rule   string
	}{
		{"replaced where the user rule applies", bob, scratch, stmt(analyze.KindDDL, []string{"DROP TABLE"}), Allow, "no_drop"},
		{"built-in where the user rule does not apply", bob, prod, stmt(analyze.KindDDL, []string{"DROP TABLE"}), Deny, "no_drop"},
		{"replaced by a stricter-than-allow rule", bob, scratch, stmt(analyze.KindDDL, []string{"TRUNCATE TABLE"}), Approve, "no_truncate"},
		{"built-in truncate elsewhere", bob, prod, stmt(analyze.KindDDL, []string{"TRUNCATE TABLE"}), Deny, "no_truncate"},
		{"disabled", alice, dev, stmt(analyze.KindUtility, []string{"LOAD"}, flags(analyze.FlagLoad)), Allow, ""},
		{"new rule", claude, dev, stmt(analyze.KindSelect, []string{"SELECT"}, apiKeys), Deny, "agents_no_secrets"},
		{"new rule does not apply", bob, dev, stmt(analyze.KindSelect, []string{"SELECT"}, apiKeys), Allow, ""},
		{"approve", bob, prod, stmt(analyze.KindDelete, []string{"DELETE"}), Approve, "prod_deletes_need_approval"},
		{"deny beats approve", bob, prod, stmt(analyze.KindDelete, []string{"DELETE"}, unbounded), Deny, "no_unbounded_write"},
		{"other built-ins untouched", bob, scratch, stmt(analyze.KindPrivilege, []string{"GRANT"}), Deny, "privilege_dba_only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(t, e, c.id, c.ds, c.st)
			if d.Action != c.action || d.Rule != c.rule {
				t.Fatalf("got %s by %q (%s), want %s by %q", d.Action, d.Rule, d.Reason, c.action, c.rule)
			}
		})
	}

	d := decide(t, e, bob, prod, stmt(analyze.KindDelete, []string{"DELETE"}))
	want := Approvals{Count: 2, DistinctGroups: true, RequiredGroups: []string{"dba", "security"}}
	if a := d.Approvals; a == nil || a.Count != want.Count || a.DistinctGroups != want.DistinctGroups || !slices.Equal(a.RequiredGroups, want.RequiredGroups) {
		t.Fatalf("approvals %+v, want %+v", d.Approvals, want)
	}
	if d.Reason != "deletes in prod need approval" || d.Hint != "" {
		t.Fatalf("reason %q hint %q", d.Reason, d.Hint)
	}
}

func TestMask(t *testing.T) {
	e := newEngine(t, `package dbward

rules.mask_emails := {"action": "allow", "mask": {"public.users.email": "hash"}} if {
	input.identity.kind == "agent"
}
`)
	d := decide(t, e, claude, dev, stmt(analyze.KindSelect, []string{"SELECT"}))
	if d.Action != Allow || d.Rule != "mask_emails" || d.Mask["public.users.email"] != "hash" {
		t.Fatalf("got %+v", d)
	}
	if d := decide(t, e, bob, dev, stmt(analyze.KindSelect, []string{"SELECT"})); d.Mask["public.users.email"] != nil || d.Rule != "" {
		t.Fatalf("mask of a rule that does not apply: %+v", d)
	}
}

// TestUserRuleConflict: two definitions of one rule that both apply with
// different verdicts are an evaluation error, which the caller turns into
// a refusal. It is not cached.
func TestUserRuleConflict(t *testing.T) {
	e := newEngine(t, `package dbward

rules.x := {"action": "deny"} if input.statement.kind == "select"

rules.x := {"action": "allow"} if input.statement.command == "SELECT"
`)
	st := stmt(analyze.KindSelect, []string{"SELECT"})
	for range 2 {
		_, err := e.Decide(context.Background(), &Input{Identity: bob, Datastore: dev, Statement: st})
		if err == nil || !strings.Contains(err.Error(), "conflict") {
			t.Fatalf("got %v, want a conflict error", err)
		}
	}
	// Where only one definition applies, there is no conflict.
	if d := decide(t, e, bob, dev, stmt(analyze.KindSelect, []string{"VALUES"})); d.Rule != "x" || d.Action != Deny {
		t.Fatalf("got %+v", d)
	}
}

// TestMalformedVerdictDenies: a verdict dbward cannot act on denies,
// naming the rule, instead of being skipped.
func TestMalformedVerdictDenies(t *testing.T) {
	e := newEngine(t, `package dbward

rules.typo := {"action": "alow"} if input.datastore.name == "shop_dev"

rules.half := {"action": "approve", "approvals": {"count": "two"}} if input.datastore.name == "shop"
`)
	for _, c := range []struct {
		ds     Datastore
		rule   string
		reason string
	}{
		{dev, "typo", `policy rule typo is broken: its action is alow`},
		{prod, "half", `policy rule half is broken: its approvals count is not a whole number`},
	} {
		d := decide(t, e, bob, c.ds, stmt(analyze.KindSelect, []string{"SELECT"}))
		if d.Action != Deny || d.Rule != c.rule || !strings.HasPrefix(d.Reason, c.reason) {
			t.Errorf("got %+v, want deny by %s: %s", d, c.rule, c.reason)
		}
	}
}

// TestBuiltinFunctionErrorFailsClosed: a rule whose built-in function
// fails is an evaluation error, not a rule that does not apply.
func TestBuiltinFunctionErrorFailsClosed(t *testing.T) {
	e := newEngine(t, `package dbward

rules.small_batches := {"action": "deny"} if to_number(input.intent.batch) > 1000
`)
	for _, c := range []struct {
		intent map[string]string
		err    bool
		rule   string
	}{
		{map[string]string{"batch": "5000"}, false, "small_batches"},
		{map[string]string{"batch": "10"}, false, ""},
		{map[string]string{"batch": "lots"}, true, ""},
	} {
		d, err := e.Decide(context.Background(), &Input{Identity: bob, Datastore: dev, Statement: stmt(analyze.KindSelect, []string{"SELECT"}), Intent: c.intent})
		if (err != nil) != c.err || d.Rule != c.rule {
			t.Errorf("batch %q: got %+v, %v", c.intent["batch"], d, err)
		}
	}
}

// TestGeneratedRuleNames: rule names may be computed; such rules mix with
// ref-head rules in the same object.
func TestGeneratedRuleNames(t *testing.T) {
	e := newEngine(t, `package dbward

rules[name] := {"action": "deny", "reason": sprintf("%s is frozen", [t.name])} if {
	some t in input.statement.tables
	t.access == "write"
	t.name in {"ledger", "invoices"}
	name := sprintf("frozen_%s", [t.name])
}

rules.audited := {"action": "allow", "mask": {"public.ledger.iban": "redact"}} if true
`)
	write := func(name string) analyze.Table {
		return analyze.Table{Schema: "public", Name: name, Access: analyze.AccessWrite}
	}
	d := decide(t, e, alice, dev, stmt(analyze.KindUpdate, []string{"UPDATE"}, tables(write("ledger"), write("invoices"))))
	if d.Action != Deny || d.Rule != "frozen_invoices" || d.Reason != "invoices is frozen" || d.Mask["public.ledger.iban"] != "redact" {
		t.Fatalf("got %+v", d)
	}
	if d := decide(t, e, alice, dev, stmt(analyze.KindUpdate, []string{"UPDATE"}, tables(write("orders")))); d.Action != Allow || d.Rule != "audited" {
		t.Fatalf("got %+v", d)
	}
}

// The README's example of replacing the built-in mask works as it says:
// analysts see emails in clear and only the last digits of cards; others
// keep the built-in mask.
func TestReadmeMaskExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var example string
	for _, block := range strings.Split(string(readme), "```rego\n")[1:] {
		if block = block[:strings.Index(block, "```")]; strings.Contains(block, "masks.mask_sensitive") {
			example = block
		}
	}
	if example == "" {
		t.Fatal("the README has no rego example replacing masks.mask_sensitive")
	}
	e := newEngine(t, example)
	st := stmt(analyze.KindSelect, []string{"SELECT"})
	if m := decide(t, e, bob, prod, st).Mask; m["email"] != "clear" || m["card_number"] != "partial" {
		t.Errorf("analyst's mask: %v", m)
	}
	if m := decide(t, e, claude, prod, st).Mask; m["email"] != "partial" || m["national_id"] != "redact" {
		t.Errorf("agent's mask: %v", m)
	}
}
