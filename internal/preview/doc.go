// Package preview dry-runs a write that needs approval, so that its
// approvers approve an effect and not just a text: "deletes 1,204 rows
// from public.orders", with a sample of the rows as they were and as they
// would be.
//
// A dry run executes the statement for real, on a connection of its own,
// inside a transaction that is always rolled back, under a statement and a
// lock timeout. Only one INSERT, UPDATE, DELETE or MERGE is previewed, and
// it is sent with the extended protocol, which runs a single statement:
// text such as "DELETE …; COMMIT" never commits. What a rollback cannot
// undo, a dry run does too: sequences advance, and triggers that reach
// outside the database (dblink, NOTIFY is transactional) act.
//
// Samples are unmasked: the caller masks them before anyone sees them.
package preview
