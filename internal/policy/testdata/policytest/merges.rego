package dbward

# MERGE is new to the team: every one needs a dba's approval.
rules.merge_needs_approval := {
	"action": "approve",
	"reason": "MERGE needs a dba's approval",
	"approvals": {"count": 1, "required_groups": ["dba"]},
} if input.statement.kind == "merge"
