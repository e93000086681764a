# Built-in guardrails, on by default. Each is a named rule; a rule of the
# same name in your package dbward replaces it wherever yours applies, and
# `disabled contains "name"` switches it off.
package dbward.builtin

import rego.v1

stmt := input.statement

prod if input.datastore.environment == "prod"

gate_hint := "run it through the change gate (dbward check) or ask a dba to make an exception in policy"

# --- prod only -------------------------------------------------------------

rules["no_drop"] := {
	"action": "deny",
	"reason": sprintf("%s is not allowed in prod", [drops[0]]),
	"hint": gate_hint,
} if {
	prod
	drops := [c | some c in stmt.commands; startswith(c, "DROP ")]
	count(drops) > 0
}

rules["no_truncate"] := {
	"action": "deny",
	"reason": "TRUNCATE is not allowed in prod",
	"hint": concat("", ["delete the rows you mean with a WHERE clause, or ", gate_hint]),
} if {
	prod
	some c in stmt.commands
	startswith(c, "TRUNCATE")
}

rules["no_unbounded_write"] := {
	"action": "deny",
	"reason": sprintf("%s without a WHERE clause that limits it is not allowed in prod", [writes[0]]),
	"hint": "add a WHERE clause naming the rows to change (a constant condition such as WHERE true does not count)",
} if {
	prod
	stmt.where == false
	writes := [c | some c in stmt.commands; c in {"DELETE", "UPDATE", "MERGE"}]
	count(writes) > 0
}

rules["no_agent_ddl"] := {
	"action": "deny",
	"reason": sprintf("schema changes (%s) by AI agents are not allowed in prod", [stmt.command]),
	"hint": "propose the change as a migration and let it pass the change gate (dbward check)",
} if {
	prod
	input.identity.kind == "agent"
	stmt.kind == "ddl"
}

rules["privilege_dba_only"] := {
	"action": "deny",
	"reason": sprintf("role and privilege changes (%s) in prod are reserved to the dba group", [stmt.command]),
	"hint": "ask a member of dba to make the change",
} if {
	prod
	stmt.kind == "privilege"
	not "dba" in input.identity.groups
}

rules["unknown_effect"] := {
	"action": "deny",
	"reason": sprintf("%s: dbward cannot tell what it would do, so it is treated as the most dangerous thing it could be", [unknown_why]),
	"hint": "in prod, run only statements whose effect is visible in their text; mark functions that do not write STABLE or IMMUTABLE, or allow this one by name in policy",
} if {
	prod
	stmt.kind == "unknown"
	not "unparsed" in stmt.flags
}

unknown_why := "it runs dynamic SQL (EXECUTE of a computed string)" if {
	"dynamic_sql" in stmt.flags
} else := sprintf("it calls a function that may write (%s)", [concat(", ", stmt.functions)]) if {
	"volatile_function" in stmt.flags
} else := "it executes a prepared statement dbward did not see prepared" if {
	"unknown_prepared" in stmt.flags
} else := "its effect is unknown"

# --- every environment -----------------------------------------------------

rules["no_copy_program"] := {
	"action": "deny",
	"reason": "COPY ... PROGRAM runs a shell command on the database server",
	"hint": "use COPY ... FROM STDIN / TO STDOUT (psql's \\copy) instead",
} if "copy_program" in stmt.flags

rules["no_copy_file"] := {
	"action": "deny",
	"reason": "COPY to or from a file on the database server is not allowed",
	"hint": "use COPY ... FROM STDIN / TO STDOUT (psql's \\copy) instead",
} if "copy_file" in stmt.flags

rules["no_alter_system"] := {
	"action": "deny",
	"reason": "ALTER SYSTEM changes the server's configuration",
	"hint": "change server settings through configuration management, not a session",
} if "alter_system" in stmt.flags

rules["no_file_access"] := {
	"action": "deny",
	"reason": sprintf("server file access functions are not allowed (%s)", [concat(", ", stmt.functions)]),
	"hint": "read and write files on your side of the connection, not the server's",
} if "file_access" in stmt.flags

rules["no_load"] := {
	"action": "deny",
	"reason": "LOAD of a shared library is not allowed",
	"hint": "extensions are installed by the operator",
} if "load" in stmt.flags

rules["unparseable"] := {
	"action": "deny",
	"reason": sprintf("the statement could not be parsed: %s", [stmt.parse_error]),
	"hint": "fix the syntax; dbward does not forward what it cannot judge",
} if "unparsed" in stmt.flags
