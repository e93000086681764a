# How rules combine into data.dbward.decision.
#
# A rule is in force ("effective") for an input when it is
#   - one of your rules (data.dbward.rules[name]) defined for the input, or
#   - a built-in rule (rules[name] here) defined for the input, unless it
#     is disabled (data.dbward.disabled contains name) or one of your rules
#     of the same name is defined for the input: that rule replaces it.
#
# The decision is the verdict of the strictest rule in force
# (deny > approve > allow; among equals, the first name in sort order) with
# its name, or allow with rule "" when none is. A rule whose verdict is
# malformed denies, naming the rule and what is wrong with it.
package dbward.builtin

rank := {"allow": 0, "approve": 1, "deny": 2}

# Both sets are empty when the user defines no rules or disables none.
# (Negating `name in data.dbward.disabled` directly would fail, not
# succeed, when data.dbward.disabled is undefined.)
user_names contains name if some name, _ in data.dbward.rules

disabled_names contains name if some name in data.dbward.disabled

effective[name] := verdict if {
	some name, verdict in rules
	not name in disabled_names
	not name in user_names
}

effective[name] := verdict if some name, verdict in data.dbward.rules

# invalid[name] says what is wrong with the verdict of a rule in force.
invalid[name] := problem if {
	some name, verdict in effective
	problem := verdict_problem(name, verdict)
}

verdict_problem(name, verdict) := "its name is not a string" if {
	not is_string(name)
} else := "its verdict is not an object" if {
	not is_object(verdict)
} else := sprintf("its action is %v, not \"allow\", \"approve\" or \"deny\"", [object.get(verdict, "action", null)]) if {
	not rank[object.get(verdict, "action", null)]
} else := "its reason is not a string" if {
	not is_string(object.get(verdict, "reason", ""))
} else := "its hint is not a string" if {
	not is_string(object.get(verdict, "hint", ""))
} else := "its mask is not an object" if {
	not is_object(object.get(verdict, "mask", {}))
} else := sprintf("its approvals %s", [approvals_problem(verdict.approvals)]) if {
	approvals_problem(verdict.approvals)
}

approvals_problem(a) := "are not an object" if {
	not is_object(a)
} else := "count is not a whole number of at least 1" if {
	not valid_count(object.get(a, "count", 1))
} else := "distinct_groups is not a boolean" if {
	not is_boolean(object.get(a, "distinct_groups", false))
} else := "required_groups is not a list of group names" if {
	not strings_array(object.get(a, "required_groups", []))
} else := "owner_counts is not a boolean" if {
	not is_boolean(object.get(a, "owner_counts", false))
} else := "mode is not \"wait\" or \"defer\"" if {
	not object.get(a, "mode", "wait") in {"wait", "defer"}
} else := "expires is not a duration such as \"30m\"" if {
	not valid_duration(object.get(a, "expires", "1h"))
} else := "tolerance_percent is not a number from 0 to 100" if {
	not valid_percent(object.get(a, "tolerance_percent", 0))
}

valid_percent(n) if {
	is_number(n)
	n >= 0
	n <= 100
}

# (checked by pattern first: parse_duration_ns fails the whole evaluation
# on a string it cannot read)
valid_duration(d) if {
	is_string(d)
	regex.match(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, d)
	time.parse_duration_ns(d) > 0
}

valid_count(n) if {
	is_number(n)
	n == floor(n)
	n >= 1
}

strings_array(a) if {
	is_array(a)
	every g in a {
		is_string(g)
	}
}

# names of the rules in force, sorted.
names := sort(object.keys(effective))

strictest := max({rank[v.action] | some v in effective})

winners := [name | some name in names; rank[effective[name].action] == strictest]

decision := object.union({"action": "allow", "rule": "", "reason": "", "hint": ""}, mask_part) if {
	count(effective) == 0
	count(invalid) == 0
} else := broken if {
	count(invalid) > 0
} else := chosen

broken := {
	"action": "deny",
	"rule": sprintf("%v", [name]),
	"reason": sprintf("policy rule %v is broken: %s", [name, invalid[name]]),
	"hint": "the statement was not run; ask the policy's owner to fix the rule (dbward policy test shows it)",
} if {
	name := sort(object.keys(invalid))[0]
}

chosen := object.union_n([
	{
		"action": verdict.action,
		"rule": winners[0],
		"reason": object.get(verdict, "reason", ""),
		"hint": object.get(verdict, "hint", ""),
	},
	approvals_part,
	mask_part,
]) if {
	verdict := effective[winners[0]]
}

# An approve decision asks for a quorum that satisfies every approve rule
# in force: the largest count, distinct groups if any rule asks for them,
# every required group, the owner counting only where every rule lets it,
# the shortest expiry and the smallest tolerance. The mode is the first
# rule's that names one.
approvals_part := {"approvals": object.union_n([
	{
		"count": max([object.get(a, "count", 1) | some a in quorums]),
		"distinct_groups": true in {object.get(a, "distinct_groups", false) | some a in quorums},
		"required_groups": sort({g | some a in quorums; some g in object.get(a, "required_groups", [])}),
	},
	owner_part(quorums),
	mode_part(quorums),
	expires_part(quorums),
	tolerance_part(quorums),
])} if {
	effective[winners[0]].action == "approve"
	quorums := [effective[name].approvals | some name in winners]
	count(quorums) > 0
} else := {}

owner_part(qs) := {"owner_counts": true} if {
	every a in qs {
		object.get(a, "owner_counts", false) == true
	}
} else := {}

mode_part(qs) := {"mode": modes[0]} if {
	modes := [a.mode | some a in qs; a.mode]
	count(modes) > 0
} else := {}

expires_part(qs) := {"expires": shortest} if {
	exps := [a.expires | some a in qs; valid_duration(object.get(a, "expires", null))]
	count(exps) > 0
	shortest := [e | some e in exps; every f in exps { time.parse_duration_ns(e) <= time.parse_duration_ns(f) }][0]
} else := {}

# The tolerance of a changed effect is the smallest any rule allows.
tolerance_part(qs) := {"tolerance_percent": min(ts)} if {
	ts := [t | some a in qs; t := object.get(a, "tolerance_percent", null); is_number(t)]
	count(ts) > 0
} else := {}

# Masks of all rules in force and all masks in force apply together (rules
# first, then masks, each by name order; for the same key, the later one
# wins). Masks (masks[name] := {...}) say how results are masked without
# deciding anything: a plain allow stays a decision of no rule. Yours
# replace the built-in ones of the same name, and `disabled` switches
# built-in ones off, as for rules.
mask_part := {"mask": object.union_n(all_masks)} if {
	rule_masks := [effective[name].mask | some name in names; is_object(effective[name].mask)]
	all_masks := array.concat(rule_masks, [effective_masks[name] | some name in sort(object.keys(effective_masks))])
	count(all_masks) > 0
} else := {}

user_mask_names contains name if some name, _ in data.dbward.masks

effective_masks[name] := m if {
	some name, m in masks
	not name in disabled_names
	not name in user_mask_names
}

effective_masks[name] := m if {
	some name, m in data.dbward.masks
	is_object(m)
}

# A user mask that is not an object is broken like a rule whose mask is not.
invalid[name] := "its mask is not an object" if {
	some name, m in data.dbward.masks
	not is_object(m)
}
