# The decision every statement gets. Not meant to be edited: write rules in
# package dbward (see guardrails.rego for the shape) to add, replace or
# disable rules by name.
package dbward

import rego.v1

rank := {"allow": 0, "approve": 1, "deny": 2}

# Built-in rules stay in force unless disabled or replaced by a user rule of
# the same name that applies to this input.
effective[name] := verdict if {
	some name, verdict in data.dbward.builtin.rules
	not is_disabled(name)
	not data.dbward.rules[name]
}

is_disabled(name) if {
	some d in data.dbward.disabled
	d == name
}

effective[name] := verdict if {
	some name, verdict in data.dbward.rules
}

# A rule whose verdict has no valid action is a broken policy: fail closed.
invalid contains name if {
	some name, verdict in effective
	not rank[verdict.action]
}

strictest := max({rank[v.action] | some v in effective})

decision := {
	"action": "deny",
	"rule": names[0],
	"reason": "the policy rule has no valid action (allow, approve or deny)",
	"hint": "fix the rule; dbward policy test shows policy errors",
} if {
	names := sort([n | some n in invalid])
	count(names) > 0
} else := object.union({"hint": ""}, object.union(effective[names[0]], {"rule": names[0]})) if {
	names := sort([n | some n, v in effective; rank[v.action] == strictest])
	count(names) > 0
} else := {"action": "allow", "rule": "", "reason": "", "hint": ""}
