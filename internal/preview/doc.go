// Package preview dry-runs a write that needs approval, so that its
// approvers approve an effect and not just a text: "deletes 1,204 rows
// from public.orders", with a sample of the rows as they were and as they
// would be.
//
// # Guarantees
//
// A dry run executes the statement for real, on a connection of its own,
// in a transaction that is always rolled back: on success, on error, and
// when ctx ends (pgconn then closes the connection after cancelling the
// statement, and the session's end rolls it back). If the rollback cannot
// be sent, the connection is closed and the error says so. Every
// statement runs under SET LOCAL statement_timeout and lock_timeout (and
// idle_in_transaction_session_timeout, should dbward stall mid-run), so a
// write that waits for a lock or runs long fails fast and holds its locks
// briefly.
//
// Only one INSERT, UPDATE, DELETE or MERGE is previewed, with a WITH that
// only reads; a data-modifying CTE at any depth is refused
// (ErrNotPreviewable), as its writes would go unseen. Every statement is
// sent with the extended protocol, which runs a single statement: text
// such as "DELETE …; COMMIT" never commits. What a rollback cannot undo, a
// dry run does too: sequences advance, and functions that reach outside
// the database (dblink, a file write) act.
//
// Samples are unmasked: the caller masks them before anyone sees them.
// Errors say what failed in the server's words, but never quote a bound
// value, nor a message that may quote one (data exceptions, RAISE).
//
// # How a statement is read
//
//  1. planFor parses the text (pg_query) and rewrites it: the write,
//     returning its target's whole rows, becomes a data-modifying CTE,
//     WITH dbward_effect AS (<write> RETURNING t.*) SELECT count(*) OVER
//     (), * FROM dbward_effect LIMIT n. The CTE runs to completion and the
//     window counts every row, yet only n rows are sent. For an UPDATE,
//     whose old values PostgreSQL 15 cannot return, a SELECT built from
//     its target, FROM, WHERE and WITH reads the rows before.
//  2. Run opens the transaction, prepares the statement as written (the
//     server checks it and infers its parameters' types, which every query
//     binds), resolves the target's name, and runs the plan.
//  3. Where the server refuses the rewrite (a rule, a view that cannot
//     return rows, RETURNING without the SELECT privilege) or pg_query
//     cannot write it, the statement runs as written, counted by its
//     command tag, without a sample; Effect.Note says why. A MERGE always
//     runs so.
package preview
