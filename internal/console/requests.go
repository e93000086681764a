package console

import (
	"log/slog"
	"strings"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
)

// RecordRequests returns an approval.Store OnChange function that records
// each change of a request's state in trail: its creation, approval (the
// grant), denial, expiry, withdrawal and single use. (Votes are recorded
// by the API before they count; runs, by the statements' own records.)
func RecordRequests(trail *audit.Trail, log *slog.Logger) func(approval.Request) {
	return func(r approval.Request) {
		ev := RequestEvent(&r)
		if _, err := trail.Append(&ev, false); err != nil {
			log.Error("cannot record an approval request's change in the audit trail", "request", r.ID, "state", r.State, "err", err)
		}
	}
}

// RequestEvent is the audit record of request r as it now stands. It
// names the statement by fingerprint, never by its text: the statement's
// own record has the text, as policy says it may be kept.
func RequestEvent(r *approval.Request) audit.Event {
	p := r.Requester
	ev := audit.Event{Type: audit.TypeApprovalRequest, Session: r.Session,
		Identity:  audit.Identity{Name: p.Name, Kind: p.Kind, Owner: p.Owner, Groups: p.Groups},
		Datastore: r.Datastore, Environment: r.Environment,
		Statement: audit.Statement{Fingerprint: r.Statement.Fingerprint, Kind: r.Statement.Kind, Command: r.Statement.Command},
		Decision:  audit.Decision{Action: "approve", Rule: r.Rule, Reason: r.Reason},
		Approval:  audit.Approval{Request: r.ID, State: string(r.State)},
		Reason:    r.Outcome,
	}
	switch r.State {
	case approval.Pending:
		ev.Reason = "needs " + r.Quorum.Describe() + " by " + r.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z") + " (" + string(r.Mode) + " mode)"
		if r.Effect != nil {
			ev.Reason += "; its preview " + r.Effect.Summary
		}
	case approval.Approved:
		ev.Reason = "approved by " + strings.Join(r.Approvers(), ", ")
		if !r.GrantUntil.IsZero() {
			ev.Approval.Grant = r.GrantUntil.Sub(r.Decided).String()
		}
	case approval.Used:
		ev.Reason = "run once under its grant"
	}
	return ev
}
