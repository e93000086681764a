# Tests of how built-in and user rules combine. User rules are replaced by
# the ones each test gives, so these hold whatever policies are loaded.
package dbward.builtin_test

import data.dbward.builtin

drop_in_prod := {
	"identity": {"name": "bob@example.com", "kind": "human", "groups": []},
	"datastore": {"name": "shop", "engine": "postgres", "environment": "prod"},
	"statement": {"kind": "ddl", "command": "DROP TABLE", "commands": ["DROP TABLE"], "flags": [], "where": true},
}

select_in_dev := {
	"identity": {"name": "bob@example.com", "kind": "human", "groups": []},
	"datastore": {"name": "shop_dev", "engine": "postgres", "environment": "dev"},
	"statement": {"kind": "select", "command": "SELECT", "commands": ["SELECT"], "flags": [], "where": true},
}

decide(inp, user_rules, disabled) := d if {
	d := builtin.decision with input as inp with data.dbward.rules as user_rules with data.dbward.disabled as disabled
}

test_nothing_applies_allows if {
	decide(select_in_dev, {}, {"mask_sensitive"}) == {"action": "allow", "rule": "", "reason": "", "hint": ""}
}

test_builtin_applies if {
	d := decide(drop_in_prod, {}, set())
	d.action == "deny"
	d.rule == "no_drop"
}

test_user_rule_replaces_builtin_of_same_name if {
	d := decide(drop_in_prod, {"no_drop": {"action": "allow"}}, set())
	object.remove(d, {"mask"}) == {"action": "allow", "rule": "no_drop", "reason": "", "hint": ""}
}

test_disabled_builtin_is_out_of_force if {
	decide(drop_in_prod, {}, {"no_drop"}).rule == ""
}

test_disabled_does_not_touch_user_rule_of_same_name if {
	d := decide(drop_in_prod, {"no_drop": {"action": "approve"}}, {"no_drop"})
	d.action == "approve"
}

test_strictest_wins if {
	user := {
		"a_allow": {"action": "allow"},
		"b_approve": {"action": "approve", "reason": "needs eyes"},
	}
	d := decide(select_in_dev, user, set())
	d.action == "approve"
	d.rule == "b_approve"
	d.reason == "needs eyes"
	decide(drop_in_prod, user, set()).rule == "no_drop"
}

test_first_name_wins_among_equals if {
	user := {"zz": {"action": "deny", "reason": "z"}, "aa": {"action": "deny", "reason": "a"}}
	decide(select_in_dev, user, set()).rule == "aa"
}

test_approvals_combine_to_satisfy_every_rule if {
	user := {
		"one": {"action": "approve", "approvals": {"count": 2, "required_groups": ["dba"]}},
		"two": {"action": "approve", "approvals": {"count": 1, "distinct_groups": true, "required_groups": ["security", "dba"]}},
		"three": {"action": "approve"},
		"four": {"action": "allow", "approvals": {"count": 9}},
	}
	d := decide(select_in_dev, user, set())
	d.rule == "one"
	d.approvals == {"count": 2, "distinct_groups": true, "required_groups": ["dba", "security"]}
}

test_approvals_defaults if {
	d := decide(select_in_dev, {"x": {"action": "approve", "approvals": {"required_groups": ["dba"]}}}, set())
	d.approvals == {"count": 1, "distinct_groups": false, "required_groups": ["dba"]}
}

test_approvals_owner_mode_expires_combine if {
	d := decide(select_in_dev, {
		"one": {"action": "approve", "approvals": {"owner_counts": true, "mode": "defer", "expires": "2h"}},
		"two": {"action": "approve", "approvals": {"owner_counts": true, "expires": "30m"}},
	}, set())
	d.approvals == {"count": 1, "distinct_groups": false, "required_groups": [], "owner_counts": true, "mode": "defer", "expires": "30m"}
}

test_approvals_smallest_tolerance if {
	d := decide(select_in_dev, {
		"one": {"action": "approve", "approvals": {"tolerance_percent": 10}},
		"two": {"action": "approve", "approvals": {"tolerance_percent": 2.5}},
		"three": {"action": "approve"},
	}, set())
	d.approvals.tolerance_percent == 2.5
}

test_approvals_tolerance_checked if {
	every bad in [-1, 101, "10%"] {
		d := decide(select_in_dev, {"x": {"action": "approve", "approvals": {"tolerance_percent": bad}}}, set())
		d.action == "deny"
		contains(d.reason, "tolerance_percent")
	}
}

test_approvals_owner_counts_only_if_every_rule_lets_it if {
	d := decide(select_in_dev, {
		"one": {"action": "approve", "approvals": {"owner_counts": true}},
		"two": {"action": "approve", "approvals": {"count": 1}},
	}, set())
	not d.approvals.owner_counts
}

test_no_approvals_when_no_rule_asks if {
	d := decide(select_in_dev, {"x": {"action": "approve"}}, set())
	not d.approvals
}

test_masks_of_all_rules_in_force_merge if {
	user := {
		"a": {"action": "allow", "mask": {"public.users.email": "hash", "public.users.phone": "redact"}},
		"b": {"action": "approve", "mask": {"public.users.email": "redact"}},
	}
	d := decide(select_in_dev, user, set())
	d.action == "approve"
	d.mask["public.users.email"] == "redact"
	d.mask["public.users.phone"] == "redact"
}

test_malformed_verdicts_deny if {
	every name, verdict in {
		"bad_action": {"action": "alow"},
		"no_action": {"reason": "r"},
		"not_object": "deny",
		"bad_reason": {"action": "allow", "reason": 1},
		"bad_hint": {"action": "allow", "hint": ["x"]},
		"bad_mask": {"action": "allow", "mask": "all"},
		"bad_approvals": {"action": "approve", "approvals": 2},
		"bad_count": {"action": "approve", "approvals": {"count": 1.5}},
		"zero_count": {"action": "approve", "approvals": {"count": 0}},
		"bad_distinct": {"action": "approve", "approvals": {"distinct_groups": "yes"}},
		"bad_owner": {"action": "approve", "approvals": {"owner_counts": "yes"}},
		"bad_mode": {"action": "approve", "approvals": {"mode": "later"}},
		"bad_expires": {"action": "approve", "approvals": {"expires": "soon"}},
		"bad_groups": {"action": "approve", "approvals": {"required_groups": "dba"}},
	} {
		d := decide(select_in_dev, {name: verdict}, set())
		d.action == "deny"
		d.rule == name
		startswith(d.reason, sprintf("policy rule %s is broken: ", [name]))
	}
}

test_malformed_verdict_beats_allow_of_others if {
	d := decide(drop_in_prod, {"no_drop": {"action": "permit"}}, set())
	d.action == "deny"
	contains(d.reason, "permit")
}

dba := {"name": "alice@example.com", "kind": "human", "groups": ["dba"]}

agent := {"name": "claude@alice", "kind": "agent", "owner": "alice@example.com", "groups": ["agents"]}

test_masks_by_default_except_dba_outside_prod if {
	every who in [agent, select_in_dev.identity] {
		decide(object.union(select_in_dev, {"identity": who}), {}, set()).mask.email == "partial"
	}
	not decide(object.union(select_in_dev, {"identity": dba}), {}, set()).mask
	decide(object.union(drop_in_prod, {"identity": dba}), {"no_drop": {"action": "allow"}}, set()).mask.card_number == "partial"
}

test_user_mask_replaces_builtin_of_same_name if {
	d := builtin.decision with input as select_in_dev
		with data.dbward.masks as {"mask_sensitive": {"email": "clear"}}
	d.mask == {"email": "clear"}
	d.rule == ""
}

test_disabled_builtin_mask_is_out_of_force if {
	not decide(select_in_dev, {}, {"mask_sensitive"}).mask
}

test_malformed_user_mask_denies if {
	d := builtin.decision with input as select_in_dev with data.dbward.masks as {"m": "all"}
	d.action == "deny"
	d.rule == "m"
}
