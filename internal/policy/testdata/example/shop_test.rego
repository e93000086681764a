package dbward_test

import data.dbward

test_drop_on_scratch_allowed if {
	d := dbward.decision with input as {
		"identity": {"name": "bob", "kind": "human", "groups": []},
		"datastore": {"name": "scratch", "engine": "postgres", "environment": "prod"},
		"statement": {"kind": "ddl", "command": "DROP TABLE", "commands": ["DROP TABLE"], "flags": [], "where": true},
	}
	d.action == "allow"
}
