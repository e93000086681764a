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
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/policy"
)

// How long a request waits for its approvers when the policy does not say
// (decision.approvals.expires): a held statement keeps its client (and
// any transaction it is in) waiting, a deferred one does not.
const (
	defaultDeferExpiry = 24 * time.Hour
	defaultWaitExpiry  = time.Hour
)

// settleApproval decides a query string policy wants approved. An
// approval of exactly this text by this identity on this datastore lets it
// run, as a one-time grant or within the grant's window. Otherwise a
// request asks for one, and what the client gets depends on the mode: in
// wait mode the statement is held until the request is decided (holdFor);
// in defer mode it is refused at once with the request's id, the same
// pending request each time the string is sent again. When the approvals
// cannot be read or written, it is refused.
func (ss *session) settleApproval(ctx context.Context, v *verdict, st approval.Statement) {
	store := ss.srv.opts.Approvals
	r, err := store.Redeem(ctx, ss.id.Name, ss.ds.Name, st)
	if err == nil {
		ss.runApproved(v, r)
		return
	}
	mode := ss.approvalMode(v.decision)
	if errors.Is(err, approval.ErrNoGrant) {
		err = approval.ErrNotFound
		if mode == approval.Defer {
			r, err = store.Pending(ctx, ss.id.Name, ss.ds.Name, st)
		}
		if errors.Is(err, approval.ErrNotFound) {
			// (A held statement has a request of its own: its client
			// withdraws it by going away.)
			r = ss.newRequest(v, st, mode)
			r.Effect, r.Preview = ss.previewEffect(ctx, v, st)
			err = store.Create(ctx, r)
		}
	}
	if err != nil {
		ss.approvalsUnavailable(v, err)
		return
	}
	v.decision.Reason += " (request " + r.ID + ")"
	v.approval = audit.Approval{Request: r.ID, State: string(r.State)}
	if mode == approval.Wait {
		ss.holdFor(ctx, v, r, st)
		return
	}
	ss.srv.log.Info("statement waits for approval", "identity", ss.id.Name, "datastore", ss.ds.Name, "request", r.ID, "rule", v.decision.Rule)
	v.refusal = approvalRequired(r)
}

// holdFor holds the statement until request r is decided: the client is
// told at once with a notice, and then the statement runs (approved) or is
// refused (denied, expired), or the request is withdrawn (the client
// cancels, disconnects, or the session ends).
func (ss *session) holdFor(ctx context.Context, v *verdict, r *approval.Request, st approval.Statement) {
	store := ss.srv.opts.Approvals
	ss.srv.log.Info("statement held for approval", "identity", ss.id.Name, "datastore", ss.ds.Name, "request", r.ID, "rule", v.decision.Rule)
	// (The hold is in place before the client hears of it: a cancel sent
	// as soon as the notice arrives must find it.)
	held, release := ss.hold(ctx)
	ss.tellClient(heldNotice(r).appendNotice(nil))
	got, err := store.Wait(held, r.ID)
	release()
	if err != nil && held.Err() != nil {
		why := context.Cause(held)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if werr := store.Withdraw(wctx, r.ID, why.Error()); werr != nil {
			ss.srv.log.Error("cannot withdraw an approval request", "request", r.ID, "err", werr)
		}
		got, err = store.Get(wctx, r.ID) // (it may have been decided meanwhile)
		if err == nil && got.State == approval.Withdrawn {
			ss.srv.log.Info("held statement withdrawn", "identity", ss.id.Name, "request", r.ID, "why", why)
			v.approval.State = string(approval.Withdrawn)
			v.decision.Reason += ": " + why.Error()
			v.refusal = withdrawnError(r.ID, why)
			return
		}
	}
	if err != nil {
		ss.approvalsUnavailable(v, err)
		return
	}
	v.approval.State = string(got.State)
	if got.State == approval.Approved {
		run, err := store.RedeemRequest(ctx, got.ID, ss.id.Name, ss.ds.Name, st)
		switch {
		case err == nil:
			ss.runApproved(v, run)
			return
		case !errors.Is(err, approval.ErrNoGrant):
			ss.approvalsUnavailable(v, err)
			return
		}
		got, err = store.Get(ctx, r.ID)
		if err != nil {
			ss.approvalsUnavailable(v, err)
			return
		}
	}
	ss.srv.log.Info("held statement refused", "identity", ss.id.Name, "request", r.ID, "state", got.State)
	v.approval.State = string(got.State)
	v.decision.Reason += ": " + string(got.State)
	v.refusal = notApproved(got)
}

// approvalStatement is what an approval of text, judged as v, is of.
func approvalStatement(v *verdict, text string) approval.Statement {
	st := approval.Statement{Text: text, Fingerprint: fingerprints(v.stmts)}
	if len(v.stmts) > 0 {
		st.Kind, st.Command = string(v.stmts[0].Kind), v.stmts[0].Command
	}
	return st
}

// runApproved lets v run under request r's grant.
func (ss *session) runApproved(v *verdict, r *approval.Request) {
	v.decision.Action = policy.Allow
	v.decision.Reason = fmt.Sprintf("approved in %s by %s", r.ID, strings.Join(r.Approvers(), ", "))
	v.approval = audit.Approval{Request: r.ID, State: string(r.State)}
	v.refusal = nil
	v.redeemed = true
	if r.Effect != nil && r.GrantUntil.IsZero() {
		// (A one-time approval is of the effect its approvers saw; a
		// window lets the statement run again and again, to varying
		// effect.)
		v.check = r.Effect
		v.decision.Reason += "; its preview " + r.Effect.Summary
	}
	ss.srv.log.Info("approved statement runs", "identity", ss.id.Name, "datastore", ss.ds.Name, "request", r.ID, "uses", r.Uses)
}

// releaseGrant gives back the run of a grant v took, when v does not run
// after all (its audit record could not be written).
func (ss *session) releaseGrant(v *verdict) {
	if !v.redeemed {
		return
	}
	v.redeemed = false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ss.srv.opts.Approvals.Release(ctx, v.approval.Request); err != nil {
		ss.srv.log.Error("cannot give back an approval's run", "request", v.approval.Request, "err", err)
	}
}

// approvalsUnavailable refuses v: its approvals could not be read or
// written.
func (ss *session) approvalsUnavailable(v *verdict, err error) {
	ss.srv.log.Error("approvals unavailable; statement refused", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
	v.decision.Reason += " (approvals unavailable)"
	v.refusal = &pgError{Severity: "ERROR", Code: codeInternalError,
		Message: "dbward: cannot check approvals: the approvals store is unavailable",
		Hint:    "the statement was not run; try again, and tell the operator if it persists"}
}

// approvalMode is how this session's client waits for a decision: as the
// policy says, or held for people and deferred for agents and services.
func (ss *session) approvalMode(d policy.Decision) approval.Mode {
	if a := d.Approvals; a != nil && a.Mode != "" {
		return approval.Mode(a.Mode)
	}
	if ss.id.Kind == identity.Human {
		return approval.Wait
	}
	return approval.Defer
}

// newRequest is the request for st that v's decision asks for.
func (ss *session) newRequest(v *verdict, st approval.Statement, mode approval.Mode) *approval.Request {
	d := v.decision
	q, expires := approval.Quorum{Count: 1}, defaultDeferExpiry
	if mode == approval.Wait {
		expires = defaultWaitExpiry
	}
	if a := d.Approvals; a != nil {
		q = approval.Quorum{Count: a.Count, DistinctGroups: a.DistinctGroups, OwnerCounts: a.OwnerCounts,
			RequiredGroups: append([]string(nil), a.RequiredGroups...)}
		if a.Expires > 0 {
			expires = a.Expires
		}
	}
	return &approval.Request{
		Mode: mode,
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
	rule, reason := orDefault(r.Rule, "policy"), orDefault(r.Reason, "the statement needs approval")
	return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
		Message: fmt.Sprintf("dbward: approval required by %s: %s — request %s needs %s", rule, reason, r.ID, r.Quorum.Describe()),
		Detail:  effectSentence(r) + fmt.Sprintf("Request %s waits for a decision until %s.", r.ID, r.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")),
		Hint:    fmt.Sprintf("the statement was not run; approve with: dbward approvals approve %s — then send the same statement again to run it", r.ID)}
}

// heldNotice is what a client is told when its statement is held for
// request r.
func heldNotice(r *approval.Request) *pgError {
	return &pgError{Severity: "NOTICE", Code: "00000",
		Message: fmt.Sprintf("dbward: approval required — request %s needs %s; approve with: dbward approvals approve %s", r.ID, r.Quorum.Describe(), r.ID),
		Detail: fmt.Sprintf("%s: %s. %sThe statement is held until the request is decided, or until %s; cancelling it withdraws the request.",
			orDefault(r.Rule, "policy"), orDefault(r.Reason, "the statement needs approval"), effectSentence(r), r.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))}
}

// notApproved is what a client gets for a statement held for request r,
// decided otherwise than approved.
func notApproved(r *approval.Request) *pgError {
	e := &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege, Hint: "the statement was not run"}
	switch r.State {
	case approval.Denied:
		var by, why string
		for _, v := range r.Votes {
			if !v.Approve {
				by, why = v.By.Name, v.Comment
			}
		}
		e.Message = fmt.Sprintf("dbward: denied by %s: request %s", by, r.ID)
		if why != "" {
			e.Message += ": " + why
		}
	case approval.Expired:
		e.Message = fmt.Sprintf("dbward: approval request %s expired: %s", r.ID, r.Outcome)
		e.Hint = "the statement was not run; send it again to ask again"
	default: // (used by another session, withdrawn)
		e.Message = fmt.Sprintf("dbward: approval request %s is %s", r.ID, r.State)
		if r.Outcome != "" {
			e.Message += ": " + r.Outcome
		}
	}
	return e
}

// withdrawnError is what a client gets for a statement whose request was
// withdrawn because of why.
func withdrawnError(id string, why error) *pgError {
	if errors.Is(why, errHoldCancelled) {
		// As PostgreSQL words a cancelled statement.
		return &pgError{Severity: "ERROR", Code: codeQueryCanceled,
			Message: "canceling statement due to user request",
			Detail:  fmt.Sprintf("dbward withdrew approval request %s; the statement was not run.", id)}
	}
	return &pgError{Severity: "ERROR", Code: codeQueryCanceled,
		Message: fmt.Sprintf("dbward: approval request %s withdrawn: %v", id, why),
		Hint:    "the statement was not run"}
}

// effectSentence tells what r's preview found, for the client: "It
// deletes 3 rows from public.orders. "; "" without one.
func effectSentence(r *approval.Request) string {
	if r.Effect == nil {
		return ""
	}
	return "It " + r.Effect.Summary + ". "
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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

// extendedNeedsApproval is what a client gets for an Execute of a portal
// whose statement needed no approval when it was parsed, but does now
// (an EXECUTE or FETCH whose SQL-level statement or cursor changed).
func extendedNeedsApproval(d policy.Decision) *pgError {
	e := refusal(d)
	e.Hint = "the statement was not run; what it runs changed since it was prepared: prepare it again to get an approval request"
	return e
}

// errTaken is the server's error for a Parse of a name already in use.
func errTaken(name string) *pgError {
	return &pgError{Severity: "ERROR", Code: "42P05", Message: "prepared statement \"" + name + "\" already exists"}
}
