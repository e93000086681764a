// Package approval holds approval requests: a statement that policy said
// needs people's consent before it runs (DESIGN §1, guarantee 5).
//
// A request is created from an "approve" decision and carries everything an
// approver must see and everything a later run must match: the statement
// (text, bound parameters, fingerprint), who asked (identity, datastore,
// environment), why (rule, reason, intent) and the quorum the policy asked
// for. People vote on it; the quorum rules (quorum.go) say when the votes
// suffice and who may not vote at all:
//
//   - nobody approves their own request;
//   - an agent never approves;
//   - an agent's owner counts only when the policy says so (Quorum.OwnerCounts);
//   - one eligible "deny" ends the request.
//
// A request ends approved, denied, expired or withdrawn (the client gave up:
// cancel or disconnect). An approved request is a grant: the same identity
// running the same statement (same fingerprint, text and parameters) on the
// same datastore may run it once, or as often as it likes until the grant's
// window closes (Store.Redeem).
//
// Requests live in a Store (SQLite, embedded) and survive restarts; Store.Wait
// lets a session hold a statement until its request is decided.
package approval
