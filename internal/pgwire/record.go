package pgwire

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/audit"
)

// What a session writes to the audit trail, and when (DESIGN §7.1): every
// statement is recorded before it is forwarded — durably (fsynced) when it
// may change anything, group-committed when it only reads — and each
// outcome after it: folded into the statement's record while that record
// still waits to be written (a fast read), as a record of its own
// otherwise. If the trail cannot take a record, the statement is refused
// with SQLSTATE 58030 and does not run.

// errAuditUnavailable is what a client gets for a statement the trail
// could not record.
var errAuditUnavailable = &pgError{Severity: "ERROR", Code: "58030",
	Message: "dbward: audit unavailable: the statement could not be recorded, so it was not run",
	Hint:    "try again in a moment; dbward resumes by itself once its audit trail can be written, and the operator's log says why it cannot"}

// needsDurable reports whether recording stmts must reach the disk before
// they are forwarded: anything but reads and session bookkeeping.
func needsDurable(stmts []analyze.Statement) bool {
	for i := range stmts {
		switch stmts[i].Kind {
		case analyze.KindSelect, analyze.KindTransaction, analyze.KindSet:
		default:
			return true
		}
	}
	return false
}

// parsedStmt is a judged, allowed Parse: what an Execute of a portal bound
// to it runs, for the record of each execution.
type parsedStmt struct {
	v    verdict
	text string // (judged again at each Execute when v.session)
	// pending: it waits for approval, and is not on the server under the
	// client's name (approvals_extended.go).
	pending *pendingApproval
}

// recordStatements appends one statement record per statement of v and
// returns where they are (nil without a trail). durable makes the append
// wait for the disk. An error means the statements must not run.
func (ss *session) recordStatements(v *verdict, durable bool) ([]recorded, error) {
	t := ss.srv.opts.Audit
	if t == nil || len(v.stmts) == 0 {
		return nil, nil
	}
	seqs := make([]recorded, len(v.stmts))
	for i := range v.stmts {
		ev := ss.event(audit.TypeStatement)
		ev.StatementSeq = ss.stmtSeq.Add(1)
		st := &v.stmts[i]
		text := st.Redacted
		if text == "" {
			text = analyze.Redact(st.Text) // a statement dbward made up, not analysed
		}
		ev.Statement = audit.Statement{Text: text, Fingerprint: st.Fingerprint,
			Kind: string(st.Kind), Command: st.Command, Tables: auditTables(st.Tables)}
		ev.Decision = audit.Decision{Action: string(v.decision.Action), Rule: v.decision.Rule, Reason: v.decision.Reason}
		ev.Intent = v.intent
		ev.Approval = v.approval
		// One wait covers the string: the last durable append's fsync
		// covers every record appended before it.
		journal, err := t.Append(&ev, durable && i == len(v.stmts)-1)
		if err != nil {
			ss.srv.log.Error("audit record failed; statement refused", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
			return nil, err
		}
		seqs[i] = recorded{seq: ev.StatementSeq, journal: journal}
	}
	return seqs, nil
}

// recordOutcome records how a recorded statement ended: in the statement's
// record if that still waits to be written, else as a record of its own.
// Neither is durable: the statement has already run, and its record says
// so.
func (ss *session) recordOutcome(o outcome) {
	t := ss.srv.opts.Audit
	if t == nil {
		return
	}
	out := audit.Outcome{Tag: o.tag, Rows: max(o.rows, 0), Duration: time.Duration(o.duration), SQLState: o.sqlstate, MaskedColumns: o.masked}
	if t.FoldOutcome(o.journal, out) {
		return
	}
	ev := ss.event(audit.TypeOutcome)
	ev.StatementSeq = o.seq
	ev.Outcome = out
	if _, err := t.Append(&ev, false); err != nil && !errors.Is(err, audit.ErrClosed) {
		ss.srv.log.Error("audit outcome record failed", "identity", ss.id.Name, "err", err)
	}
}

// recordSession appends a session start or end.
func (ss *session) recordSession(typ audit.Type, reason string) {
	t := ss.srv.opts.Audit
	if t == nil {
		return
	}
	ev := ss.event(typ)
	ev.Reason = reason
	if _, err := t.Append(&ev, false); err != nil && !errors.Is(err, audit.ErrClosed) {
		ss.srv.log.Error("audit session record failed", "identity", ss.id.Name, "err", err)
	}
}

// recordAuth appends a login's success or failure: who claimed to be whom,
// from where, for which datastore; never the secret.
func (s *Server) recordAuth(typ audit.Type, id audit.Identity, datastore, client, reason string) {
	if s.opts.Audit == nil {
		return
	}
	ev := audit.Event{Type: typ, Identity: id, Datastore: datastore, Client: audit.Client{Addr: client}, Reason: reason}
	if _, err := s.opts.Audit.Append(&ev, false); err != nil && !errors.Is(err, audit.ErrClosed) {
		s.log.Error("audit login record failed", "identity", id.Name, "err", err)
	}
}

// newSessionID names a session in the audit trail: 16 random hex digits.
func newSessionID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// event is a record of the session with what every one carries.
func (ss *session) event(typ audit.Type) audit.Event {
	return audit.Event{Type: typ, Session: ss.auditID,
		Identity: audit.Identity{Name: ss.id.Name, Kind: string(ss.id.Kind), Owner: ss.id.Owner,
			Fingerprint: ss.id.Fingerprint, Groups: ss.id.Groups},
		Datastore: ss.ds.Name, Environment: ss.ds.Environment,
		Client: audit.Client{Addr: ss.clientAddr, ApplicationName: *ss.appName.Load()}}
}

func auditTables(ts []analyze.Table) []audit.Table {
	if len(ts) == 0 {
		return nil
	}
	out := make([]audit.Table, len(ts))
	for i, t := range ts {
		out[i] = audit.Table{Schema: t.Schema, Name: t.Name, Access: string(t.Access)}
	}
	return out
}

func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

// bindNames reads a Bind's portal and statement names.
func bindNames(raw []byte) (portal, stmt string, ok bool) {
	portal, rest, ok := cstring(raw[5:])
	if !ok {
		return "", "", false
	}
	stmt, _, ok = cstring(rest)
	return portal, stmt, ok
}

// closeTarget reads a Close's kind ('S' statement, 'P' portal) and name.
func closeTarget(raw []byte) (kind byte, name string, ok bool) {
	if len(raw) < 6 {
		return 0, "", false
	}
	name, _, ok = cstring(raw[6:])
	return raw[5], name, ok
}

// monoBase makes monoNow monotonic: durations survive clock steps.
var monoBase = time.Now()

func monoNow() int64 { return int64(time.Since(monoBase)) }
