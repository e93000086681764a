package dbward_test

import data.dbward

# This test expects the wrong thing, so it fails.
test_merge_allowed if {
	d := dbward.decision with input as merge
	print("decided by", d.rule)
	d.action == "allow"
}
