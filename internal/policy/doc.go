// Package policy decides what may run. It evaluates Rego v1 policies (OPA)
// against the policy input of DESIGN §6 — who (identity), where
// (datastore), what (the statement facts from package analyze), over which
// session, and with what declared intent — and returns a Decision: allow,
// deny or approve, with the rule that decided, a reason and a hint for the
// person refused, the approval quorum, and masks.
//
// # Pieces
//
//   - builtin/*.rego, embedded: the built-in bundle. dbward.rego defines
//     data.dbward.decision, combine.rego combines rules into it,
//     guardrails.rego holds the guardrails, *_test.rego their tests.
//   - New (engine.go) loads the user's policies, checks them (check.go),
//     compiles them with the bundle once, and prepares the query
//     data.dbward.decision. Decide builds the input as a Rego value
//     directly (input.go), evaluates, reads the result into a Decision
//     (decision.go) and caches it (cache.go).
//   - Test (test_runner.go) runs Rego unit tests like `opa test`, for
//     `dbward policy test`.
//
// # Built-in guardrails
//
// On by default, each a named rule:
//
//	in prod:              no_drop, no_truncate, no_unbounded_write,
//	                      no_agent_ddl, privilege_dba_only, unknown_effect
//	in every environment: no_copy_program, no_copy_file, no_alter_system,
//	                      no_file_access, no_load, unparseable
//
// "prod" is a datastore whose environment is exactly "prod". Every denial
// says why, and what to do next.
//
// # Your rules, and overriding the built-in ones
//
// Your policies (config policy.paths) are Rego v1 files in package dbward.
// A rule is an entry of the object rules, named by its key; its value is a
// verdict:
//
//	{"action": "allow" | "approve" | "deny",
//	 "reason": "for the person refused",       (optional)
//	 "hint": "what they can do next",          (optional)
//	 "approvals": {"count": 2,                 (optional, for approve;
//	               "distinct_groups": true,     all fields optional:
//	               "required_groups": ["dba"],  count defaults to 1)
//	               "owner_counts": false,       (an agent's owner may approve)
//	               "mode": "wait" | "defer",    (default: wait for people, defer for agents)
//	               "expires": "1h",             (how long a request waits)
//	               "tolerance_percent": 10},    (how far the rows an approved write
//	                                             affects may drift from its preview)
//	 "mask": {...}}                             (optional, for package mask)
//
// By name, your rules add to the built-in ones or replace them:
//
//   - a new name adds a rule;
//   - a built-in's name replaces that built-in wherever your rule is
//     defined for the input (elsewhere the built-in applies as before). A
//     replacement applies whenever it is defined, so state its conditions
//     in full;
//   - disabled contains "name" switches a built-in off (your own rule of
//     the same name, if any, still applies).
//
// A worked example, policies/shop.rego:
//
//	package dbward
//
//	# Drops are fine on the scratch datastore; elsewhere no_drop holds.
//	rules.no_drop := {"action": "allow"} if input.datastore.name == "scratch"
//
//	# LOAD is needed here; switch the guardrail off.
//	disabled contains "no_load"
//
//	# AI agents never read api_keys.
//	rules.agents_no_secrets := {
//		"action": "deny",
//		"reason": "AI agents may not read api_keys",
//		"hint": "ask the agent's owner to look it up",
//	} if {
//		input.identity.kind == "agent"
//		some t in input.statement.tables
//		t.name == "api_keys"
//	}
//
//	# Deletes in prod need two approvals from different groups, one a dba.
//	rules.prod_deletes := {
//		"action": "approve",
//		"reason": "deletes in prod need approval",
//		"approvals": {"count": 2, "distinct_groups": true, "required_groups": ["dba"]},
//	} if {
//		input.datastore.environment == "prod"
//		input.statement.kind == "delete"
//	}
//
// With it, `DROP TABLE t` on scratch is allowed by no_drop and denied by
// no_drop on shop; `DELETE FROM orders WHERE id = 1` on shop waits for
// approval by prod_deletes, while `DELETE FROM orders` is denied by
// no_unbounded_write (deny beats approve).
//
// # The decision
//
// data.dbward.decision is the verdict of the strictest rule in force
// (deny > approve > allow; among equals, the first name in sort order)
// with "rule" set to its name; "allow" with rule "" when no rule is in
// force. An approve decision asks for a quorum that satisfies every
// approve rule in force (the largest count, distinct groups if any asks,
// every required group). Masks of all rules in force are merged. A
// verdict that is not as above denies, naming the broken rule.
//
// The name data.dbward.decision and package dbward.builtin are dbward's:
// New refuses policies that define them (ErrReserved), and policies that
// disable a built-in rule that does not exist (ErrUnknownRule). A policy
// that does not compile is refused with file:line and the compiler's
// message. Two definitions of one rule that both apply with different
// verdicts are an evaluation error, and so is an error in a built-in
// function (to_number("x")): Decide returns it, and the caller refuses the
// statement (fails closed).
//
// # Caching
//
// Decisions depend only on the input, and on the statement's facts rather
// than its literal values — unless a policy reads input.statement.text.
// So decisions are cached under a key of:
//
//   - the identity's name, and a digest of its kind, groups, owner and
//     fingerprint;
//   - the datastore's name, and a digest of its engine and environment;
//   - the statement's fingerprint and a digest of all its facts; but the
//     exact text instead of the fingerprint when the statement is
//     LiteralSensitive (its facts depend on literals), has no fingerprint,
//     did not parse, or when any loaded policy reads input.statement.text;
//   - the session fields and the intent, each only when a loaded policy
//     reads it.
//
// What policies read is found once, at New, by walking the compiled
// modules: a reference to input as a whole, or with a key computed at run
// time, counts as reading everything below it. Digests are 64-bit seeded
// hashes (hash/maphash); the facts digest means that facts which change
// after analysis (a function found to write, an EXECUTE resolved to what
// it runs) are decided anew. Policies that call non-deterministic built-in
// functions (time.now_ns, http.send, rand.intn, …) are not cached at all.
// The cache holds at most Options.CacheSize decisions, in two generations
// so that decisions in use survive.
//
// # Testing policies
//
// Test runs the test_* rules of *_test.rego files next to your policies,
// and the built-in bundle's own tests (which hold whatever your policies
// are), like `opa test`. Write tests with `with input as {...}`:
//
//	package dbward_test
//
//	import data.dbward
//
//	test_drop_on_scratch_allowed if {
//		d := dbward.decision with input as {
//			"identity": {"name": "bob", "kind": "human", "groups": []},
//			"datastore": {"name": "scratch", "engine": "postgres", "environment": "prod"},
//			"statement": {"kind": "ddl", "command": "DROP TABLE", "commands": ["DROP TABLE"], "flags": [], "where": true},
//		}
//		d.action == "allow"
//	}
package policy
