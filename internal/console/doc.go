// Package console is dbward's HTTP side (DESIGN §2): the JSON API that
// commands acting as a person call (DESIGN §5) and /healthz. The web
// console and /metrics come later.
//
// Every API call carries the caller's own token (Authorization: Bearer),
// the one their identity uses for database sessions; the caller acts as
// that identity. The approvals API:
//
//	GET  /api/v1/approvals                list (?state=&requester=&datastore=&limit=)
//	GET  /api/v1/approvals/{id}           one request
//	POST /api/v1/approvals/{id}/approve   {"comment": "...", "grant": "1h"}
//	POST /api/v1/approvals/{id}/deny      {"comment": "..."}
//
// People see every request; agents and services see their own. Votes
// follow the approval package's rules (only people vote, never on their own
// request) and each is an approval.vote record in the audit trail.
// Errors are {"error": "..."} with a status that says what kind.
package console
