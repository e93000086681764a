package pgwire

import (
	"context"
	"encoding/binary"
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

// settleApproval decides a statement policy wants approved, in defer mode:
// an approval of exactly this statement (text and parameters) by this
// identity on this datastore lets it run, as a one-time grant or within
// the grant's window; otherwise the client gets the id of the request that
// asks for one, the same pending request each time it sends the statement
// again. When the approvals cannot be read or written, it is refused.
func (ss *session) settleApproval(ctx context.Context, v *verdict, text string, params []approval.Param) {
	store := ss.srv.opts.Approvals
	st := approval.Statement{Text: text, Params: params, Fingerprint: fingerprints(v.stmts)}
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
		Hint:    fmt.Sprintf("the statement was not run; approve with: dbward approvals approve %s — then send the same statement again, with the same parameters, to run it", r.ID)}
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

// bindParams reads the parameters of a Bind message: what an approval of
// an extended-protocol statement is for. The protocol's format codes are
// none (all text), one (for all) or one per parameter.
func bindParams(raw []byte) ([]approval.Param, bool) {
	_, rest, ok := cstring(raw[5:])
	if !ok {
		return nil, false
	}
	if _, rest, ok = cstring(rest); !ok || len(rest) < 2 {
		return nil, false
	}
	nf := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) < 2*nf+2 {
		return nil, false
	}
	formats := make([]int16, nf)
	for i := range formats {
		formats[i] = int16(binary.BigEndian.Uint16(rest[2*i:]))
	}
	rest = rest[2*nf:]
	np := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if nf > 1 && nf != np {
		return nil, false
	}
	params := make([]approval.Param, np)
	for i := range params {
		if len(rest) < 4 {
			return nil, false
		}
		n := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		switch {
		case nf == 1:
			params[i].Format = formats[0]
		case nf > 1:
			params[i].Format = formats[i]
		}
		if n == -1 {
			params[i].Null = true
			continue
		}
		if n < 0 {
			return nil, false
		}
		if int(n) > len(rest) {
			return nil, false
		}
		params[i].Value = append([]byte(nil), rest[:n]...)
		rest = rest[n:]
	}
	return params, true
}
