# Built-in guardrails, on by default.
#
# Each guardrail is a named rule: rules[name] := verdict. A rule of the same
# name in your package dbward replaces the guardrail wherever yours is
# defined, `disabled contains "name"` switches it off, and new names add
# rules (see combine.rego and the package documentation).
#
# The guardrails are written in two groups, in_prod.<name> and
# everywhere.<name>, each behind one condition that is cheap to check, so
# that most statements skip most of them. Every rule in everywhere keys on
# a statement flag.
#
# These rules read statement facts only, never input.statement.text, so
# that decisions can be cached by fingerprint.
package dbward.builtin

rules[name] := verdict if {
	input.datastore.environment == "prod"
	some name, verdict in in_prod
}

rules[name] := verdict if {
	count(input.statement.flags) > 0
	some name, verdict in everywhere
}

# The parts of reasons below are always defined, so that a rule never fails
# to apply because a detail for its message is missing.
command := c if {
	c := input.statement.command
	is_string(c)
	c != ""
} else := "this statement"

functions := concat(", ", input.statement.functions) if {
	count(input.statement.functions) > 0
} else := "a function"

parse_error := e if {
	e := input.statement.parse_error
	is_string(e)
	e != ""
} else := "the parser gave no details"

gate_hint := "run it through the change gate (dbward check) or ask a dba for an exception in policy"

# ---------------------------------------------------------------------------
# In prod only.

in_prod.no_drop := {
	"action": "deny",
	"reason": sprintf("%s is not allowed in prod", [drops[0]]),
	"hint": gate_hint,
} if {
	drops := [c | some c in input.statement.commands; startswith(c, "DROP ")]
	count(drops) > 0
}

in_prod.no_truncate := {
	"action": "deny",
	"reason": "TRUNCATE is not allowed in prod",
	"hint": sprintf("delete the rows you mean with a WHERE clause, or %s", [gate_hint]),
} if {
	some c in input.statement.commands
	startswith(c, "TRUNCATE")
}

# where is false when some DELETE, UPDATE or MERGE in the statement has no
# real condition: none at all, or a constant one such as WHERE true.
in_prod.no_unbounded_write := {
	"action": "deny",
	"reason": sprintf("%s without a WHERE clause that limits the rows is not allowed in prod", [unbounded_writes[0]]),
	"hint": "add a WHERE clause naming the rows to change (a constant condition such as WHERE true does not count); to change every row, ask a dba for an exception in policy",
} if {
	input.statement.where == false
	input.statement.kind != "unknown" # an unknown effect is unknown_effect's to report
	count(unbounded_writes) > 0
}

unbounded_writes := [c | some c in input.statement.commands; c in {"DELETE", "UPDATE", "MERGE"}]

in_prod.no_agent_ddl := {
	"action": "deny",
	"reason": sprintf("schema changes (%s) by AI agents are not allowed in prod", [command]),
	"hint": "write the change as a migration and let it pass the change gate (dbward check), or ask your owner to run it",
} if {
	input.identity.kind == "agent"
	input.statement.kind == "ddl"
}

# An agent's writes wait for a person: defer mode, so the agent is told at
# once and runs the statement by sending it again once a DBA approved it.
in_prod.agent_writes_need_approval := {
	"action": "approve",
	"reason": sprintf("%s by an AI agent in prod needs a DBA's approval", [command]),
	"approvals": {"count": 1, "required_groups": ["dba"], "mode": "defer"},
} if {
	input.identity.kind == "agent"
	agent_write
}

agent_write if input.statement.kind in {"insert", "update", "merge", "delete"}

agent_write if {
	input.statement.kind == "copy"
	some t in input.statement.tables
	t.access == "write"
}

in_prod.privilege_dba_only := {
	"action": "deny",
	"reason": sprintf("role and privilege changes (%s) in prod are reserved to the dba group", [command]),
	"hint": "ask a member of the dba group to make the change",
} if {
	input.statement.kind == "privilege"
	not dba
}

# Negations go through helper rules: `not x in ref` fails, rather than
# succeeds, when ref is undefined (the ref is evaluated outside the not).
dba if "dba" in input.identity.groups

# Unparsed statements are also of kind unknown; they are left to
# unparseable, whose reason quotes the parser.
in_prod.unknown_effect := {
	"action": "deny",
	"reason": sprintf("%s, so dbward treats it as the most dangerous thing it could be; that is not allowed in prod", [unknown_why]),
	"hint": unknown_hint,
} if {
	input.statement.kind == "unknown"
	not unparsed
}

unparsed if "unparsed" in input.statement.flags

unknown_why := "it runs SQL built at run time (dynamic SQL)" if {
	"dynamic_sql" in input.statement.flags
} else := sprintf("it calls a function that may write (%s)", [functions]) if {
	"volatile_function" in input.statement.flags
} else := "it executes a prepared statement dbward did not see prepared" if {
	"unknown_prepared" in input.statement.flags
} else := "dbward cannot tell what it would do"

unknown_hint := "mark the function STABLE or IMMUTABLE if it does not write, run the statements it would run directly, or ask a dba for an exception in policy" if {
	"volatile_function" in input.statement.flags
} else := "PREPARE the statement in this session before you EXECUTE it" if {
	"unknown_prepared" in input.statement.flags
} else := "run the statements themselves instead of SQL built at run time, or ask a dba for an exception in policy"

# ---------------------------------------------------------------------------
# In every environment.

copy_hint := "use COPY ... FROM STDIN or COPY ... TO STDOUT (psql's \\copy) to move data through your connection"

everywhere.no_copy_program := {
	"action": "deny",
	"reason": "COPY ... PROGRAM runs a shell command on the database server and is not allowed",
	"hint": copy_hint,
} if "copy_program" in input.statement.flags

everywhere.no_copy_file := {
	"action": "deny",
	"reason": "COPY to or from a file on the database server is not allowed",
	"hint": copy_hint,
} if "copy_file" in input.statement.flags

everywhere.no_alter_system := {
	"action": "deny",
	"reason": "ALTER SYSTEM changes the server's configuration and is not allowed",
	"hint": "change server settings through the operator's configuration management",
} if "alter_system" in input.statement.flags

everywhere.no_file_access := {
	"action": "deny",
	"reason": sprintf("functions that touch files on the database server are not allowed (%s)", [functions]),
	"hint": "read and write files on your side of the connection (psql's \\copy, \\lo_import) instead",
} if "file_access" in input.statement.flags

everywhere.no_syntax_change := {
	"action": "deny",
	"reason": "the statement changes how the server reads later text (standard_conforming_strings off, or a client_encoding such as SJIS), which would let statements past dbward's parser",
	"hint": "keep standard_conforming_strings on and use a client encoding such as UTF8",
} if "syntax_change" in input.statement.flags

everywhere.no_load := {
	"action": "deny",
	"reason": "LOAD of a shared library into the server is not allowed",
	"hint": "ask the operator to install the extension",
} if "load" in input.statement.flags

everywhere.unparseable := {
	"action": "deny",
	"reason": sprintf("dbward could not parse the statement, and does not forward what it cannot judge: %s", [parse_error]),
	"hint": "fix the syntax; if this is valid PostgreSQL, report it, and ask a dba to allow unparseable statements in this environment meanwhile",
} if "unparsed" in input.statement.flags
