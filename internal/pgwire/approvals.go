package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/policy"
)

// defaultApprovalExpiry is how long a request waits for its approvers when
// the policy does not say (decision.approvals.expires).
const defaultApprovalExpiry = 24 * time.Hour

// settleApproval decides a query string policy wants approved, in defer
// mode: an approval of exactly this text by this identity on this
// datastore lets it run, as a one-time grant or within the grant's window;
// otherwise the client gets the id of the request that asks for one, the
// same pending request each time it sends the string again. When the
// approvals cannot be read or written, it is refused.
func (ss *session) settleApproval(ctx context.Context, v *verdict, text string) {
	store := ss.srv.opts.Approvals
	st := approval.Statement{Text: text, Fingerprint: fingerprints(v.stmts)}
	if len(v.stmts) > 0 {
		st.Kind, st.Command = string(v.stmts[0].Kind), v.stmts[0].Command
	}
	r, err := store.Redeem(ctx, ss.id.Name, ss.ds.Name, st)
	if err == nil {
		v.decision.Action = policy.Allow
		v.decision.Reason = fmt.Sprintf("approved in %s by %s", r.ID, approvers(r))
		v.approval = audit.Approval{Request: r.ID, State: string(r.State)}
		ss.srv.log.Info("approved statement runs", "identity", ss.id.Name, "datastore", ss.ds.Name, "request", r.ID, "uses", r.Uses)
		return
	}
	if errors.Is(err, approval.ErrNoGrant) {
		r, err = store.Pending(ctx, ss.id.Name, ss.ds.Name, st)
		if errors.Is(err, approval.ErrNotFound) {
			r = ss.newRequest(v, st)
			err = store.Create(ctx, r)
		}
	}
	if err != nil {
		ss.srv.log.Error("approvals unavailable; statement refused", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
		v.decision.Reason += " (approvals unavailable)"
		v.refusal = &pgError{Severity: "ERROR", Code: codeInternalError,
			Message: "dbward: cannot check approvals: the approvals store is unavailable",
			Hint:    "the statement was not run; try again, and tell the operator if it persists"}
		return
	}
	ss.srv.log.Info("statement waits for approval", "identity", ss.id.Name, "datastore", ss.ds.Name, "request", r.ID, "rule", v.decision.Rule)
	v.decision.Reason += " (request " + r.ID + ")"
	v.approval = audit.Approval{Request: r.ID, State: string(r.State)}
	v.refusal = approvalRequired(r)
}

// newRequest is the request for st that v's decision asks for.
func (ss *session) newRequest(v *verdict, st approval.Statement) *approval.Request {
	d := v.decision
	q, expires := approval.Quorum{Count: 1}, defaultApprovalExpiry
	if a := d.Approvals; a != nil {
		q = approval.Quorum{Count: a.Count, DistinctGroups: a.DistinctGroups, OwnerCounts: a.OwnerCounts,
			RequiredGroups: append([]string(nil), a.RequiredGroups...)}
		if a.Expires > 0 {
			expires = a.Expires
		}
	}
	return &approval.Request{
		Mode: approval.Defer,
		Requester: approval.Person{Name: ss.id.Name, Kind: string(ss.id.Kind), Owner: ss.id.Owner,
			Groups: append([]string(nil), ss.id.Groups...)},
		Datastore: ss.ds.Name, Environment: ss.ds.Environment,
		Statement: st, Rule: d.Rule, Reason: d.Reason, Intent: v.intent, Quorum: q,
		Session: ss.auditID, ExpiresAt: time.Now().Add(expires),
	}
}

// approvalRequired is what a client gets for a statement that waits for
// request r.
func approvalRequired(r *approval.Request) *pgError {
	rule := r.Rule
	if rule == "" {
		rule = "policy"
	}
	reason := r.Reason
	if reason == "" {
		reason = "the statement needs approval"
	}
	return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
		Message: fmt.Sprintf("dbward: approval required by %s: %s — request %s needs %s", rule, reason, r.ID, r.Quorum.Describe()),
		Detail:  fmt.Sprintf("Request %s waits for a decision until %s.", r.ID, r.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")),
		Hint:    fmt.Sprintf("the statement was not run; approve with: dbward approvals approve %s — then send the same statement again to run it", r.ID)}
}

// approvers names who approved r.
func approvers(r *approval.Request) string {
	var names []string
	for _, v := range r.Votes {
		if v.Approve {
			names = append(names, v.By.Name)
		}
	}
	return strings.Join(names, ", ")
}

// fingerprints identifies a query string's statements together.
func fingerprints(stmts []analyze.Statement) string {
	if len(stmts) == 1 {
		return stmts[0].Fingerprint
	}
	fs := make([]string, len(stmts))
	for i, st := range stmts {
		fs[i] = st.Fingerprint
	}
	return strings.Join(fs, ",")
}

// extendedNeedsApproval is what a client gets for a statement that needs
// approval sent with the extended protocol: approvals are settled on the
// simple protocol only, for now.
func extendedNeedsApproval(d policy.Decision) *pgError {
	e := refusal(d)
	e.Hint = "the statement was not run; statements that need approval go through the simple query protocol for now " +
		"(psql, or pgx's QueryExecModeSimpleProtocol, with literal values): send it that way to get an approval request"
	return e
}
