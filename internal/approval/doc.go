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
//   - only people vote: agents and services never do;
//   - nobody votes on their own request;
//   - an agent's owner approves only when the policy says so
//     (Quorum.OwnerCounts), but may always deny;
//   - one eligible "deny" ends the request.
//
// A request ends approved, denied, expired or withdrawn (the client gave up:
// cancel or disconnect). An approved request is a grant: the same identity
// running the same statement (same fingerprint, text and parameters) on the
// same datastore may run it once within OneTimeUse, or as often as it likes
// within the narrowest window its approvers allowed (Store.Redeem). A grant
// not used in time expires.
//
// Requests live in a Store (SQLite, embedded) and survive restarts; Store.Wait
// lets a session hold a statement until its request is decided. Package
// approval/notify tells people of requests as they change (Store.OnChange),
// over HTTP, which this package never speaks.
package approval
