package dbward

# Drops are fine on the scratch datastore; elsewhere no_drop holds.
rules.no_drop := {"action": "allow"} if input.datastore.name == "scratch"

# LOAD is needed here; switch the guardrail off.
disabled contains "no_load"

# AI agents never read api_keys.
rules.agents_no_secrets := {
	"action": "deny",
	"reason": "AI agents may not read api_keys",
	"hint": "ask the agent's owner to look it up",
} if {
	input.identity.kind == "agent"
	some t in input.statement.tables
	t.name == "api_keys"
}

# Deletes in prod need two approvals from different groups, one a dba.
rules.prod_deletes := {
	"action": "approve",
	"reason": "deletes in prod need approval",
	"approvals": {"count": 2, "distinct_groups": true, "required_groups": ["dba"]},
} if {
	input.datastore.environment == "prod"
	input.statement.kind == "delete"
}
