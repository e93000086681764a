# Tests of the built-in guardrails. They look at data.dbward.builtin.rules
# directly, so they hold whatever user policies are loaded next to them.
package dbward.builtin_test

import data.dbward.builtin

prod := {"name": "shop", "engine": "postgres", "environment": "prod"}

dev := {"name": "shop_dev", "engine": "postgres", "environment": "dev"}

alice := {"name": "alice@example.com", "kind": "human", "groups": ["dba"], "owner": "", "fingerprint": ""}

bob := {"name": "bob@example.com", "kind": "human", "groups": ["analysts"], "owner": "", "fingerprint": ""}

claude := {"name": "claude@alice", "kind": "agent", "groups": ["agents"], "owner": "alice@example.com", "fingerprint": "anthropic/claude-code"}

statement(kind, commands, flags) := {
	"text": "",
	"kind": kind,
	"command": commands[0],
	"commands": commands,
	"tables": [],
	"functions": [],
	"flags": flags,
	"destructive": false,
	"where": true,
	"dynamic": false,
	"fingerprint": "0000000000000000",
}

# rules_for returns the verdicts of the built-in rules that apply to inp.
rules_for(inp) := rs if {
	rs := builtin.rules with input as inp
} else := {}

# fired returns the names of the built-in rules that apply.
fired(identity, datastore, stmt) := object.keys(rules_for({
	"identity": identity,
	"datastore": datastore,
	"statement": stmt,
	"session": {},
	"intent": {},
}))

test_select_fires_nothing if {
	fired(bob, prod, statement("select", ["SELECT"], [])) == set()
}

test_no_drop if {
	fired(alice, prod, statement("ddl", ["DROP TABLE"], [])) == {"no_drop"}
	fired(alice, dev, statement("ddl", ["DROP TABLE"], [])) == set()
}

test_no_drop_inside_do_block if {
	fired(bob, prod, statement("ddl", ["DO", "DROP SCHEMA"], [])) == {"no_drop"}
}

test_no_drop_reason_names_the_command if {
	r := builtin.rules.no_drop with input as {"identity": bob, "datastore": prod, "statement": statement("ddl", ["DO", "DROP SCHEMA"], [])}
	r.reason == "DROP SCHEMA is not allowed in prod"
	contains(r.hint, "dbward check")
}

test_no_truncate if {
	fired(alice, prod, statement("ddl", ["TRUNCATE TABLE"], [])) == {"no_truncate"}
	fired(alice, dev, statement("ddl", ["TRUNCATE TABLE"], [])) == set()
}

test_no_unbounded_write if {
	unbounded := object.union(statement("delete", ["DELETE"], []), {"where": false, "destructive": true})
	fired(alice, prod, unbounded) == {"no_unbounded_write"}
	fired(alice, dev, unbounded) == set()
	fired(alice, prod, statement("delete", ["DELETE"], [])) == set()
}

test_no_unbounded_write_names_the_write if {
	cte := object.union(statement("update", ["SELECT", "UPDATE"], []), {"where": false})
	r := builtin.rules.no_unbounded_write with input as {"identity": bob, "datastore": prod, "statement": cte}
	startswith(r.reason, "UPDATE without a WHERE clause")
}

test_no_agent_ddl if {
	fired(claude, prod, statement("ddl", ["CREATE TABLE"], [])) == {"no_agent_ddl"}
	fired(claude, dev, statement("ddl", ["CREATE TABLE"], [])) == set()
	fired(bob, prod, statement("ddl", ["CREATE TABLE"], [])) == set()
}

test_agent_writes_need_approval if {
	some kind in ["insert", "update", "merge", "delete"]
	fired(claude, prod, statement(kind, [upper(kind)], [])) == {"agent_writes_need_approval"}
	fired(claude, dev, statement(kind, [upper(kind)], [])) == set()
	fired(bob, prod, statement(kind, [upper(kind)], [])) == set()
}

test_agent_copy_from_needs_approval if {
	copy_from := object.union(statement("copy", ["COPY"], []), {"tables": [{"schema": "public", "name": "orders", "access": "write"}]})
	copy_to := object.union(statement("copy", ["COPY"], []), {"tables": [{"schema": "public", "name": "orders", "access": "read"}]})
	fired(claude, prod, copy_from) == {"agent_writes_need_approval"}
	fired(claude, prod, copy_to) == set()
	fired(claude, prod, statement("select", ["SELECT"], [])) == set()
}

test_agent_writes_wait_for_one_dba_in_defer_mode if {
	d := data.dbward.decision with input as {"identity": claude, "datastore": prod, "statement": statement("update", ["UPDATE"], []), "session": {}, "intent": {}}
	d.action == "approve"
	d.rule == "agent_writes_need_approval"
	d.reason == "UPDATE by an AI agent in prod needs a DBA's approval"
	d.approvals.count == 1
	d.approvals.required_groups == ["dba"]
	d.approvals.mode == "defer"
}

test_privilege_dba_only if {
	fired(bob, prod, statement("privilege", ["GRANT"], [])) == {"privilege_dba_only"}
	fired(claude, prod, statement("privilege", ["GRANT"], [])) == {"privilege_dba_only"}
	fired(alice, prod, statement("privilege", ["GRANT"], [])) == set()
	fired(bob, dev, statement("privilege", ["GRANT"], [])) == set()
}

test_unknown_effect if {
	fired(bob, prod, statement("unknown", ["DO"], ["dynamic_sql"])) == {"unknown_effect"}
	fired(bob, prod, statement("unknown", ["SELECT"], ["volatile_function"])) == {"unknown_effect"}
	fired(bob, prod, statement("unknown", ["EXECUTE"], ["unknown_prepared"])) == {"unknown_effect"}
	fired(bob, dev, statement("unknown", ["DO"], ["dynamic_sql"])) == set()
}

test_unknown_effect_says_why if {
	volatile := object.union(statement("unknown", ["SELECT"], ["volatile_function"]), {"functions": ["public.bump"]})
	r := builtin.rules.unknown_effect with input as {"identity": bob, "datastore": prod, "statement": volatile}
	contains(r.reason, "public.bump")
	contains(r.hint, "STABLE")
}

test_every_environment_rules if {
	every flag, rule in {
		"copy_program": "no_copy_program",
		"copy_file": "no_copy_file",
		"alter_system": "no_alter_system",
		"file_access": "no_file_access",
		"load": "no_load",
	} {
		fired(alice, dev, statement("utility", ["X"], [flag])) == {rule}
		fired(alice, prod, statement("utility", ["X"], [flag])) == {rule}
	}
}

test_unparseable_everywhere_and_alone if {
	unparsed := object.union(statement("unknown", [""], ["unparsed"]), {"parse_error": "syntax error at or near \"SELEC\""})
	fired(alice, dev, unparsed) == {"unparseable"}
	fired(alice, prod, unparsed) == {"unparseable"}
	r := builtin.rules.unparseable with input as {"identity": bob, "datastore": dev, "statement": unparsed}
	contains(r.reason, "SELEC")
}

test_reasons_survive_missing_details if {
	# A rule must not fail to apply because a detail of its message is
	# missing from the input.
	bare := {"kind": "unknown", "flags": ["unparsed", "file_access"], "commands": []}
	fired(bob, prod, bare) == {"unparseable", "no_file_access"}
	agent_ddl := {"kind": "ddl", "flags": [], "commands": []}
	fired(claude, prod, agent_ddl) == {"no_agent_ddl"}
}

test_missing_lists_fail_closed if {
	# Absent groups are no dba membership; absent flags, no exemption.
	fired({"kind": "human"}, prod, statement("privilege", ["GRANT"], [])) == {"privilege_dba_only"}
	fired(bob, prod, {"kind": "unknown", "commands": []}) == {"unknown_effect"}
}

test_every_denial_has_reason_and_hint if {
	inputs := [
		{"identity": claude, "datastore": prod, "statement": statement("ddl", ["DROP TABLE", "TRUNCATE TABLE"], ["copy_program", "copy_file", "alter_system", "file_access", "load"])},
		{"identity": bob, "datastore": prod, "statement": object.union(statement("privilege", ["DELETE"], ["unparsed"]), {"where": false})},
		{"identity": bob, "datastore": prod, "statement": statement("unknown", ["DO"], ["dynamic_sql"])},
	]
	every inp in inputs {
		every _, v in rules_for(inp) {
			v.action == "deny"
			v.reason != ""
			v.hint != ""
		}
	}
	count({name | some inp in inputs; some name, _ in rules_for(inp)}) == 12
}

test_syntax_change_denied_everywhere if {
	d := data.dbward.decision with input as {
		"identity": {"name": "a", "kind": "human", "groups": ["dba"]},
		"datastore": {"name": "d", "engine": "postgres", "environment": "dev"},
		"statement": {"kind": "unknown", "command": "SET", "commands": ["SET"], "flags": ["syntax_change"], "where": false},
	}
	d.action == "deny"
	d.rule == "no_syntax_change"
}
