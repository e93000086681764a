package dbward_test

import data.dbward

merge := {
	"identity": {"name": "bob@example.com", "kind": "human", "groups": ["analysts"]},
	"datastore": {"name": "shop", "engine": "postgres", "environment": "prod"},
	"statement": {"kind": "merge", "command": "MERGE", "commands": ["MERGE"], "flags": [], "where": true},
}

test_merge_needs_approval if {
	d := dbward.decision with input as merge
	d.action == "approve"
	d.rule == "merge_needs_approval"
	d.approvals.required_groups == ["dba"]
}

test_unbounded_merge_is_still_denied if {
	d := dbward.decision with input as json.patch(merge, [{"op": "replace", "path": "/statement/where", "value": false}])
	d.action == "deny"
	d.rule == "no_unbounded_write"
}
