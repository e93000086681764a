// Package policy decides what may run: Rego v1 policies (OPA) evaluated
// against the policy input of DESIGN §6, with built-in guardrails that are
// on by default.
//
// # Rules and overrides
//
// The built-in bundle (builtin/*.rego, embedded) defines named rules in
// package dbward.builtin:
//
//	rules["no_drop"] := {"action": "deny", "reason": "...", "hint": "..."} if { ... }
//
// Your policies (config policy.paths) are Rego v1 files in package dbward
// and use the same shape:
//
//	package dbward
//
//	# a new rule
//	rules["agents_no_secrets"] := {"action": "deny", "reason": "agents may not read api_keys"} if {
//		input.identity.kind == "agent"
//		some t in input.statement.tables
//		t.name == "api_keys"
//	}
//
//	# an exception: replaces the built-in no_drop wherever it applies
//	rules["no_drop"] := {"action": "allow"} if input.datastore.name == "scratch"
//
//	# a built-in switched off altogether
//	disabled contains "no_truncate"
//
// A verdict may also carry "approvals": {"count": 2, "distinct_groups": true,
// "required_groups": ["dba", "security"]} for action "approve".
// data.dbward.decision is the strictest verdict of all rules in force
// (deny > approve > allow; the first rule name in sort order among equals),
// with its rule name; "allow" with rule "" when none applies. The names
// decision, effective, invalid, strictest and rank in package dbward are
// reserved: New refuses policies that define them.
//
// # Caching
//
// Decisions are cached per identity, datastore, session attributes, intent
// and statement fingerprint: statements that differ only in literal values
// share a decision. Where facts depend on literals (a DO body, set_config),
// where the text could not be parsed, and when any user policy reads
// input.statement.text, the exact text is the key instead.
//
// # Failing closed
//
// Evaluation errors (a conflict in user rules, a runtime error) are
// returned to the caller, which refuses the statement. A verdict without a
// valid action denies.
package policy
