# The document dbward evaluates for every statement. It belongs to dbward;
# your policies shape it through rules, not by defining it (see
# combine.rego for how rules combine).
package dbward

decision := data.dbward.builtin.decision
