# Built-in masks: how results are masked, by who asks and where.
#
# masks[name] := {classification or "schema.table.column" or "*": strategy,
#                 "unknown": "scan" | "refuse"}
# Strategies: clear, redact, partial, token, fake, nullify, hash (see the
# README's Masking section). A mask of yours with the same name replaces a
# built-in one wherever yours is defined; `disabled contains "mask_sensitive"`
# switches it off.
package dbward.builtin

# What classified data looks like to those who may not see it in clear:
# enough to recognise a record (the email's domain, a card's last four
# digits), nothing to use.
default_masks := {
	"email": "partial",
	"phone": "partial",
	"card_number": "partial",
	"iban": "partial",
	"national_id": "redact",
	"secret": "redact",
	"person_name": "partial",
	"address": "redact",
	"date_of_birth": "partial",
	"ip_address": "token",
	"*": "redact",
	"unknown": "scan",
}

# Everyone sees classified data masked, except people in dba outside prod:
# agents always, services and other people everywhere, dba in prod unless
# a policy of yours replaces this mask.
masks.mask_sensitive := default_masks if not dba_in_clear

dba_in_clear if {
	input.identity.kind == "human"
	"dba" in input.identity.groups
	input.datastore.environment in {"dev", "development", "test", "local", "staging"}
}
