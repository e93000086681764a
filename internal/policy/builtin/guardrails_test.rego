package dbward_test

import rego.v1

import data.dbward

prod := {"name": "shop", "engine": "postgres", "environment": "prod"}

dev := {"name": "shopdev", "engine": "postgres", "environment": "dev"}

human := {"name": "bob", "kind": "human", "groups": ["analysts"]}

stmt(kind, commands) := {"kind": kind, "command": commands[0], "commands": commands, "where": true, "flags": [], "functions": []}

test_drop_denied_in_prod if {
	d := dbward.decision with input as {"identity": human, "datastore": prod, "statement": stmt("ddl", ["DROP TABLE"])}
	d.action == "deny"
	d.rule == "no_drop"
}

test_drop_allowed_in_dev if {
	d := dbward.decision with input as {"identity": human, "datastore": dev, "statement": stmt("ddl", ["DROP TABLE"])}
	d.action == "allow"
}

test_select_allowed if {
	d := dbward.decision with input as {"identity": human, "datastore": prod, "statement": stmt("select", ["SELECT"])}
	d.action == "allow"
	d.rule == ""
}

test_copy_program_denied_everywhere if {
	s := object.union(stmt("copy", ["COPY"]), {"flags": ["copy_program"]})
	d := dbward.decision with input as {"identity": human, "datastore": dev, "statement": s}
	d.rule == "no_copy_program"
}
