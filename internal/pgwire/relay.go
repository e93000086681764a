package pgwire

import (
	"bytes"
	"context"
	"errors"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/mask"
	"github.com/dbward/dbward/internal/policy"
)

// flushAt is how much relayed data may wait for more before it is written.
const flushAt = 64 << 10

// step is what a relay does after one client message.
type step int

const (
	stepOn   step = iota // go on with the next message
	stepSlow             // quick judging could not decide; nothing was appended
	stepEnd              // Terminate: forward what is pending, then end quietly
)

// fromClient appends to out what the upstream gets for one client message.
// Statements arrive in Query (simple protocol) and Parse (extended
// protocol) messages and are judged first; FunctionCall (fast path) is
// refused since what it runs is only an OID. Everything else — Bind,
// Execute, Describe, Sync, COPY data — is relayed as it is: it can only run
// what a judged Parse or Query defined. With quick set, judging that would
// have to wait (catalog lookups, uncached policy evaluation) is not done:
// the result is stepSlow and the caller judges elsewhere. A non-nil error
// ends the session with that FATAL.
func (ss *session) fromClient(ctx context.Context, out []byte, typ byte, raw []byte, quick bool) ([]byte, step, *pgError) {
	if ss.batch != nil && !ss.settling {
		// A batch that waits for approval: held until it ends.
		switch typ {
		case 'S', 'H':
			if quick {
				return out, stepSlow, nil // (settling may wait for approvers)
			}
			return ss.settleBatch(ctx, out, raw)
		case 'X':
			ss.batch, ss.batchBytes = nil, 0
			return append(out, raw...), stepEnd, nil
		}
		return out, stepOn, ss.holdMessage(raw)
	}
	switch typ {
	case 'B', 'E', 'C':
		ss.applyDefinitions() // (Query and Parse: in judge)
	}
	switch typ {
	case 'Q':
		text, _, ok := cstring(raw[5:])
		if !ok {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Query message", "")
		}
		v, decided := ss.judge(ctx, text, quick)
		if !decided {
			return out, stepSlow, nil
		}
		if v.approve && v.refusal == nil {
			if quick {
				return out, stepSlow, nil // (the approvals store is a database)
			}
			ss.settleApproval(ctx, &v, approvalStatement(&v, text))
			if v.check != nil && v.refusal == nil {
				return ss.runChecked(ctx, out, raw, &v, text)
			}
		}
		return ss.runOrRefuse(out, raw, &v, quick)
	case 'P':
		name, rest, ok := cstring(raw[5:])
		text, _, ok2 := cstring(rest)
		if !ok || !ok2 {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Parse message", "")
		}
		v, decided := ss.judge(ctx, text, quick)
		if !decided {
			return out, stepSlow, nil
		}
		switch old := ss.parsed[name]; {
		case isPrivate(name):
			v.refusal = errPrivateName(name)
		case v.approve && v.refusal == nil:
			return ss.parseForApproval(out, raw, name, text, v), stepOn, nil
		case name != "" && old != nil && old.pending != nil:
			// (The server does not have it to refuse, and keeps the first.)
			return ss.refuseMessage(out, errTaken(name)), stepOn, nil
		}
		ss.flight.forwarded('P', nil)
		if v.refusal != nil {
			delete(ss.parsed, name)
			ss.recordStatements(&v, false) // it runs nothing, recorded or not
			return ss.denials.appendParse(out, name, v.refusal), stepOn, nil
		}
		if ss.parsed == nil {
			ss.parsed, ss.portals = map[string]*parsedStmt{}, map[string]*parsedStmt{}
		}
		_, taken := ss.parsed[name]
		_, takenSQL := ss.prepared[name] // (one namespace for SQL and protocol prepared statements)
		delete(ss.prepared, name)
		if (taken || takenSQL) && name != "" {
			// The server refuses a second Parse of a name and keeps the
			// first: its portals are judged as unknown from now on.
			delete(ss.parsed, name)
		} else {
			ss.parsed[name] = &parsedStmt{v: v, text: text}
		}
	case 'B':
		portal, stmt, ok := bindNames(raw)
		if !ok {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Bind message", "")
		}
		if isPrivate(stmt) {
			return ss.refuseMessage(out, errPrivateName(stmt)), stepOn, nil
		}
		if p := ss.parsed[stmt]; p != nil && p.pending != nil {
			if !ss.settling {
				return out, stepOn, ss.holdMessage(raw) // (the batch is held from here)
			}
			out, perr := ss.bindPending(ctx, out, raw, portal, stmt, p)
			return out, stepOn, perr
		}
		if p := ss.parsed[stmt]; p != nil {
			ss.portals[portal] = p
		} else {
			delete(ss.portals, portal)
		}
		delete(ss.cursors, portal) // (one namespace for portals and cursors)
		ss.flight.forwardedBind(portal)
	case 'E':
		portal, _, ok := cstring(raw[5:])
		if !ok {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Execute message", "")
		}
		var v verdict
		var decided bool
		switch p := ss.portals[portal]; {
		case p != nil && p.v.session:
			// EXECUTE or FETCH: runs what the session has now; a later
			// Execute of the same portal goes on with the same rows.
			if v, decided = ss.judge(ctx, p.text, quick); decided {
				cont := &parsedStmt{v: v, text: p.text}
				cont.v.session = false
				ss.portals[portal] = cont
			}
		case p != nil && p.v.check != nil:
			if quick {
				return out, stepSlow, nil // (the check waits for the rows)
			}
			v, decided = p.v, true
			p.v.check = nil // (checked at its first Execute, which runs it whole)
		case p != nil:
			v, decided = p.v, true
		default:
			v, decided = ss.judgeUnknownPortal(ctx, portal, quick)
		}
		if !decided {
			return out, stepSlow, nil
		}
		if v.approve && v.refusal == nil {
			v.refusal = extendedNeedsApproval(v.decision) // (re-judged EXECUTE or FETCH portals)
		}
		if v.mask != nil && v.refusal == nil && !ss.flight.portalDescribed(portal) {
			// The rows will come without their columns: ask for them.
			out = appendDescribePortal(out, portal)
			ss.flight.forwardedDescribe('P', portal, true)
		}
		var st step
		var perr *pgError
		if v.check != nil && v.refusal == nil {
			out, st, perr = ss.executeChecked(ctx, out, portal, &v)
		} else {
			out, st, perr = ss.runOrRefuse(out, raw, &v, quick)
		}
		if st == stepOn && perr == nil {
			out = ss.closeAfterExecute(out, ss.portals[portal])
		}
		return out, st, perr
	case 'C':
		if kind, name, ok := closeTarget(raw); ok && kind == 'S' {
			if isPrivate(name) {
				return ss.refuseMessage(out, errPrivateName(name)), stepOn, nil
			}
			delete(ss.parsed, name)
			delete(ss.prepared, name)
		} else if ok && kind == 'P' {
			delete(ss.portals, name)
			delete(ss.cursors, name)
			ss.flight.forgetPortal(name)
		}
		ss.flight.forwarded('C', nil)
	case 'D':
		if len(raw) < 6 {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Describe message", "")
		}
		name, _, ok := cstring(raw[6:])
		if !ok {
			return out, stepOn, fatal(codeProtocolViolation, "dbward: invalid Describe message", "")
		}
		if raw[5] == 'S' {
			if isPrivate(name) {
				return ss.refuseMessage(out, errPrivateName(name)), stepOn, nil
			}
			if p := ss.parsed[name]; p != nil && p.pending != nil {
				return ss.describePending(out, p), stepOn, nil
			}
		}
		ss.flight.forwardedDescribe(raw[5], name, false)
	case 'S':
		ss.flight.forwarded(typ, nil)
		return ss.appendCleanup(append(out, raw...)), stepOn, nil
	case 'F':
		v := verdict{stmts: []analyze.Statement{{Text: "(fast-path function call)", Kind: analyze.KindUnknown, Command: "FUNCTION CALL"}},
			decision: policy.Decision{Action: policy.Deny, Rule: "fastpath_function_call", Reason: "the fast-path function call protocol is not allowed"},
			refusal: &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
				Message: "dbward: blocked by fastpath_function_call: the fast-path function call protocol is not allowed",
				Hint:    "call the function with SELECT instead, so dbward can judge it"}}
		return ss.runOrRefuse(out, raw, &v, quick)
	case 'X':
		return append(out, raw...), stepEnd, nil
	}
	return append(out, raw...), stepOn, nil
}

// runOrRefuse forwards raw — a Query or an Execute, judged as v — once its
// statements are recorded, or in its place what makes the upstream fail
// with the client's error: the refusal, or "audit unavailable" when the
// record could not be written. A record that must reach the disk first is
// never waited for in quick mode: stepSlow.
func (ss *session) runOrRefuse(out, raw []byte, v *verdict, quick bool) ([]byte, step, *pgError) {
	perr := v.refusal
	var seqs []recorded
	if perr != nil {
		ss.recordStatements(v, false) // it runs nothing, recorded or not
	} else {
		durable := needsDurable(v.stmts)
		if durable && quick && ss.srv.opts.Audit != nil {
			return out, stepSlow, nil
		}
		var err error
		if seqs, err = ss.recordStatements(v, durable); err != nil {
			perr = errAuditUnavailable
			ss.releaseGrant(v)
		}
	}
	if perr == nil { // (its duration starts now, as it leaves for the upstream)
		ss.flight.forwarded(raw[0], seqs)
		if v.defs != nil {
			ss.flight.setDefinitions(v.defs)
		}
		if v.mask != nil {
			portal := ""
			if raw[0] == 'E' {
				portal, _, _ = cstring(raw[5:])
			}
			ss.flight.setMask(v.mask, portal)
		}
		return append(out, raw...), stepOn, nil
	}
	if raw[0] == 'E' {
		return ss.refuseMessage(out, perr), stepOn, nil
	}
	ss.flight.forwarded('Q', nil)
	return ss.denials.appendQuery(out, perr), stepOn, nil
}

// refuseMessage appends, in place of an extended-protocol message, a
// failing Parse: the upstream answers it with the client's error perr and
// skips to Sync, as it would for the message's own error.
func (ss *session) refuseMessage(out []byte, perr *pgError) []byte {
	ss.flight.forwarded('P', nil)
	return ss.denials.appendParse(out, "dbward_refused", perr)
}

// fromServer appends to out what the client gets for one upstream message,
// keeping track of the transaction status and replacing the errors that
// stand for denials. fatal is true for the upstream's own FATAL: the
// session is ending and that is the message the client should see, so the
// caller writes out at once and silences the session.
func (ss *session) fromServer(out []byte, typ byte, raw []byte) (_ []byte, isFatal bool) {
	o, ok, m := ss.flight.answer(typ, raw)
	if ok {
		ss.recordOutcome(o)
	}
	switch {
	case m.rows != nil:
		masked, err := m.rows.Row(out, raw)
		if err == nil {
			return masked, false
		}
		m.fail = true
	case m.copy != nil:
		masked, err := m.copy.Row(out, raw)
		if err == nil {
			return masked, false
		}
		m.fail = true
	case m.swallow:
		return out, false
	case m.refuse:
		return errMaskRefused.appendTo(out), false
	}
	if m.fail { // the row is not relayed, nor anything after it
		ss.srv.log.Error("a result could not be masked; session ended", "identity", ss.id.Name, "datastore", ss.ds.Name)
		ss.terminate(errMaskFailed)
		return out, false
	}
	if m.message != nil {
		raw = mask.Message(nil, raw, m.message.plan, ss.flight.tr, m.message.sensitive)
	}
	switch typ {
	case 'E', 'N':
		raw = ss.flight.unprivate(raw)
	}
	switch typ {
	case 'E':
		if isFatalError(raw) {
			return append(out, raw...), true
		}
		return ss.denials.rewrite(out, raw), false
	case 'Z':
		if len(raw) >= 6 {
			ss.txStatus.Store(uint32(raw[5]))
		}
	case 'S':
		// SET application_name changes what policies see as the session's.
		if name, rest, ok := cstring(raw[5:]); ok {
			v, _, _ := cstring(rest)
			switch {
			case name == "application_name":
				ss.appName.Store(&v)
			case analyze.ChangesSyntax(name, v):
				// A setting dbward refuses from the client, come from the
				// role's or database's defaults: it would read the SQL, and
				// split COPY rows, otherwise than the server.
				ss.srv.log.Error("the database set a setting dbward cannot follow; session ended", "identity", ss.id.Name, "datastore", ss.ds.Name, "setting", name)
				ss.terminate(errSyntaxSetting)
				return out, false
			}
		}
	}
	return append(out, raw...), false
}

// clientToServer relays client messages to the upstream (goroutine
// relay). Writes are batched while the client has more messages in
// flight, so pipelines stay pipelines.
func (ss *session) clientToServer(ctx context.Context) {
	out := make([]byte, 0, 8<<10)
	for {
		typ, raw, err := ss.cr.next()
		if err != nil {
			if perr := ss.clientReadError(err); perr != nil {
				ss.terminate(perr)
			}
			ss.silence()
			return
		}
		var st step
		var perr *pgError
		out, st, perr = ss.fromClient(ctx, out, typ, raw, false)
		if perr != nil {
			ss.terminate(perr)
			return
		}
		if st == stepEnd {
			ss.silence()
			ss.up.Write(out)
			return
		}
		if ss.cr.buffered() == 0 || len(out) >= flushAt {
			if _, err := ss.up.Write(out); err != nil {
				ss.terminate(ss.upstreamLost(err))
				return
			}
			out = out[:0]
		}
	}
}

// serverToClient relays upstream messages to the client (goroutine relay).
func (ss *session) serverToClient() {
	out := make([]byte, 0, 8<<10)
	for {
		typ, raw, err := ss.ur.next()
		if err != nil {
			if len(out) > 0 {
				ss.writeClient(out)
			}
			ss.terminate(ss.upstreamLost(err))
			return
		}
		var fatal bool
		if out, fatal = ss.fromServer(out, typ, raw); fatal {
			ss.writeClient(out)
			ss.silence()
			out = out[:0]
			continue
		}
		if ss.ur.buffered() == 0 || len(out) >= flushAt {
			if err := ss.writeClient(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// isFatalError reports whether an ErrorResponse has severity FATAL or PANIC. The
// severity field comes first in every PostgreSQL error.
func isFatalError(raw []byte) bool {
	body := raw[5:]
	return len(body) > 1 && body[0] == 'S' && (bytes.HasPrefix(body[1:], []byte("FATAL\x00")) || bytes.HasPrefix(body[1:], []byte("PANIC\x00")))
}

// clientReadError is what the client is told when reading from it failed:
// nil when it is just gone.
func (ss *session) clientReadError(err error) *pgError {
	switch {
	case quietEnd(err):
	case errors.Is(err, ErrMessageTooLarge):
		return fatal(codeProtocolViolation, "dbward: message too large", "send smaller messages (large COPY data in chunks)")
	case errors.Is(err, errMalformed):
		return fatal(codeProtocolViolation, "dbward: invalid message length", "")
	default:
		ss.srv.log.Info("client read failed", "identity", ss.id.Name, "err", err)
	}
	return nil
}

func (ss *session) upstreamLost(err error) *pgError {
	if !quietEnd(err) {
		ss.srv.log.Warn("upstream connection lost", "datastore", ss.ds.Name, "err", err)
	}
	return fatal(codeConnectionFailure, "dbward: the connection to the database was lost",
		"reconnect; if it persists, tell the operator")
}
