package pgwire

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
)

// Approvals through the extended protocol. A statement that waits for
// approval must never be runnable on the server before it is approved, and
// nothing the client can name may ever run it. So the server never holds it
// under the client's name:
//
//   - Parse: dbward forwards it under a fresh private name and closes that
//     at once (the client gets the server's ParseComplete, or its error).
//     The client's name stands for a statement dbward alone remembers.
//   - Describe of it: parsed again under a private name, described, closed.
//   - Bind of it: held, with everything the client sends after it, until
//     the batch ends (Sync or Flush). The batch is then replayed in order.
//     At the Bind, its Execute (which must follow it) is settled, with the
//     bound values, in wait or defer mode. Approved, the statement is
//     parsed under a fresh private name and the client's portal bound to
//     it. Refused, a failing Parse stands for the Bind: the server skips
//     the rest of the batch, and no portal of it ever exists.
//   - dbward closes its private statement right after the portal's first
//     Execute (the portal lives on without it), and again once the batch's
//     Sync is forwarded, in case an error made the server skip that Close.
//
// Names beginning with privatePrefix are dbward's: a client that names one,
// in a message or in SQL, is refused.

// privatePrefix begins every name dbward gives a statement of its own.
const privatePrefix = "dbward_approved_"

// maxHeldBatch bounds what a client may send after a Bind that waits for
// approval, before the Sync or Flush that ends its batch.
const maxHeldBatch = 32 << 20

// pendingApproval is what dbward knows of a statement that waits for
// approval (parsedStmt.pending), or of a portal bound to one.
type pendingApproval struct {
	types []uint32 // the Parse's parameter type OIDs
	// A portal's:
	params  []approval.Param // its bound values
	bindOK  bool             // its Bind could be read
	settled bool             // an Execute of it was settled (ran approved, or was refused)
	// priv: the private statement it is bound to, closed right after its
	// first Execute (the portal lives on without it).
	priv string
}

// privateName is a fresh name the client cannot guess.
func privateName() string {
	var b [12]byte
	rand.Read(b[:])
	return privatePrefix + hex.EncodeToString(b[:])
}

// isPrivate reports whether name is one of dbward's own.
func isPrivate(name string) bool { return strings.HasPrefix(name, privatePrefix) }

// errPrivateName is what a client gets for naming one of dbward's own
// statements.
func errPrivateName(name string) *pgError {
	return &pgError{Severity: "ERROR", Code: "26000",
		Message: "dbward: prepared statement \"" + name + "\" does not exist",
		Hint:    "names beginning with " + privatePrefix + " are dbward's own; use another name"}
}

// privateSQLName returns a name of dbward's own that a statement of stmts
// prepares, executes, deallocates or opens a cursor as, if any.
func privateSQLName(stmts []analyze.Statement) string {
	for _, st := range stmts {
		for _, n := range []string{st.Prepare, st.Execute, st.Deallocate, st.Cursor, st.CloseCursor, st.Fetch} {
			if isPrivate(n) {
				return n
			}
		}
	}
	return ""
}

// parseForApproval forwards the client's Parse of a statement that waits
// for approval under a private name, closed at once, and remembers the
// statement under the client's name.
func (ss *session) parseForApproval(out, raw []byte, name, text string, v verdict) []byte {
	if old := ss.parsed[name]; name != "" && (old != nil || ss.hasPrepared(name)) {
		// (The server would refuse the name as taken; this way it is
		// refused even when dbward's view of the names is stale.)
		return ss.refuseMessage(out, errTaken(name))
	}
	types, ok := parseTypes(raw)
	priv := privateName()
	renamedParse, ok2 := renamed(raw, priv)
	if !ok || !ok2 {
		// Malformed: the server says so, and nothing is remembered.
		ss.flight.forwarded('P', nil)
		return append(out, renamedParse...)
	}
	p := &parsedStmt{v: v, text: text, pending: &pendingApproval{types: types}}
	out = append(out, renamedParse...)
	ss.flight.forwardedParse(name, p)
	out = appendNamed(out, 'C', 'S', priv)
	ss.flight.forwardedInternal('C', priv)
	if ss.parsed == nil {
		ss.parsed, ss.portals = map[string]*parsedStmt{}, map[string]*parsedStmt{}
	}
	ss.parsed[name] = p
	delete(ss.prepared, name)
	return out
}

// hasPrepared reports whether the session prepared name with SQL.
func (ss *session) hasPrepared(name string) bool {
	_, ok := ss.prepared[name]
	return ok
}

// describePending answers a Describe of a statement that waits for
// approval: parsed again under a private name, described, and closed.
func (ss *session) describePending(out []byte, p *parsedStmt) []byte {
	priv := privateName()
	out = appendParseOf(out, priv, p.text, p.pending.types)
	ss.flight.forwardedInternal('P', "")
	out = appendNamed(out, 'D', 'S', priv)
	ss.flight.forwardedDescribe('S', priv, false)
	out = appendNamed(out, 'C', 'S', priv)
	ss.flight.forwardedInternal('C', priv)
	return out
}

// holdMessage holds a message of a batch that waits for approval, until
// the batch ends.
func (ss *session) holdMessage(raw []byte) *pgError {
	ss.batchBytes += len(raw)
	if ss.batchBytes > maxHeldBatch {
		return fatal(codeProgramLimitExceeded, "dbward: too much sent after a statement that waits for approval",
			"send Sync after the Execute of a statement that needs approval")
	}
	ss.batch = append(ss.batch, append([]byte(nil), raw...))
	return nil
}

// settleBatch ends a held batch with its Sync or Flush (raw): its messages
// are replayed in order, each Bind of a statement that waits for approval
// settled with the Execute that follows it.
func (ss *session) settleBatch(ctx context.Context, out, raw []byte) ([]byte, step, *pgError) {
	batch := ss.batch
	ss.batch, ss.batchBytes = nil, 0
	ss.settling = true
	defer func() { ss.settling, ss.replayRest = false, nil }()
	for i, m := range batch {
		ss.replayRest = batch[i+1:]
		var perr *pgError
		if out, _, perr = ss.fromClient(ctx, out, m[0], m, false); perr != nil {
			return out, stepOn, perr
		}
	}
	ss.replayRest = nil
	return ss.fromClient(ctx, out, raw[0], raw, false)
}

// bindPending replays a held Bind of a statement that waits for approval.
// Its Execute is settled first: the portal must not exist on the server
// before it is approved, or SQL could run it (FETCH, MOVE). So the Execute
// must follow the Bind in the same batch, with only Describes between.
// Approved, the statement is parsed under a fresh private name and the
// client's portal bound to it; refused, a failing Parse stands for the
// Bind, and the server skips the rest of the batch.
func (ss *session) bindPending(ctx context.Context, out, raw []byte, portal, stmt string, p *parsedStmt) ([]byte, *pgError) {
	params, bindOK := bindParams(raw)
	bound := &parsedStmt{v: p.v, text: p.text,
		pending: &pendingApproval{types: p.pending.types, params: params, bindOK: bindOK}}
	ss.portals[portal] = bound
	delete(ss.cursors, portal)
	ss.flight.forgetPortal(portal)
	if !executeFollows(ss.replayRest, portal) {
		bound.pending.settled = true
		bound.v.refusal = errBindWithoutExecute
		ss.recordStatements(&bound.v, false) // it runs nothing, recorded or not
		return ss.refuseMessage(out, bound.v.refusal), nil
	}
	v := bound.v
	if v.session {
		v, _ = ss.judge(ctx, p.text, false)
	}
	ss.executePending(ctx, &v, bound)
	bound.v = v
	bound.v.session = false
	if v.refusal != nil {
		// (Recorded at the Execute, which the server then skips.)
		return ss.refuseMessage(out, v.refusal), nil
	}
	priv := privateName()
	rb, ok := renamed(raw, "", priv)
	if !ok {
		return out, fatal(codeProtocolViolation, "dbward: invalid Bind message", "")
	}
	out = appendParseOf(out, priv, p.text, p.pending.types)
	ss.flight.forwardedInternal('P', "")
	out = append(out, rb...)
	ss.flight.forwardedBind(portal)
	ss.flight.hidePrivate(priv, stmt)
	ss.cleanup = append(ss.cleanup, priv) // (in case an error skips the Close after its Execute)
	bound.pending.priv = priv
	return out, nil
}

// closeAfterExecute appends, after the first Execute of a portal bound to
// a private statement, the Close of that statement: nothing the client
// sends later can then reach it, even by a name it learnt.
func (ss *session) closeAfterExecute(out []byte, p *parsedStmt) []byte {
	if p == nil || p.pending == nil || p.pending.priv == "" {
		return out
	}
	out = appendNamed(out, 'C', 'S', p.pending.priv)
	ss.flight.forwardedInternal('C', "")
	p.pending.priv = ""
	return out
}

// errBindWithoutExecute is what a client gets for a Bind of a statement
// that waits for approval without its Execute.
var errBindWithoutExecute = &pgError{Severity: "ERROR", Code: codeFeatureNotSupported,
	Message: "dbward: a statement that waits for approval must be executed in the batch that binds it",
	Hint:    "send Execute right after Bind (Describe may come between), then Sync; the statement was not run"}

// executeFollows reports whether the next message of rest, past any
// Describes, is an Execute of portal.
func executeFollows(rest [][]byte, portal string) bool {
	for _, m := range rest {
		switch m[0] {
		case 'D':
		case 'E':
			name, _, ok := cstring(m[5:])
			return ok && name == portal
		default:
			return false
		}
	}
	return false
}

// executePending settles the Execute of a portal bound to a statement that
// waits for approval, with the portal's bound values.
func (ss *session) executePending(ctx context.Context, v *verdict, p *parsedStmt) {
	p.pending.settled = true
	if !p.pending.bindOK {
		// (The server refuses the Bind first; this is never seen.)
		v.refusal = &pgError{Severity: "ERROR", Code: codeProtocolViolation, Message: "dbward: invalid Bind message"}
		return
	}
	if !v.approve || v.refusal != nil {
		return
	}
	st := approvalStatement(v, p.text)
	st.Params, st.ParamTypes = p.pending.params, p.pending.types
	ss.settleApproval(ctx, v, st)
	v.approve = false // (settled: run, or refused)
}

// appendCleanup appends the Closes of the private statements of settled
// batches, once their Sync is forwarded.
func (ss *session) appendCleanup(out []byte) []byte {
	for _, priv := range ss.cleanup {
		out = appendNamed(out, 'C', 'S', priv)
		ss.flight.forwardedInternal('C', priv)
	}
	ss.cleanup = ss.cleanup[:0]
	return out
}

// appendParseOf appends a Parse message.
func appendParseOf(out []byte, name, text string, types []uint32) []byte {
	b, err := (&pgproto3.Parse{Name: name, Query: text, ParameterOIDs: types}).Encode(out)
	if err != nil {
		panic("BUG: encoding a Parse: " + err.Error())
	}
	return b
}

// parseTypes reads a Parse's parameter type OIDs, as strictly as the
// server does.
func parseTypes(raw []byte) ([]uint32, bool) {
	_, rest, ok := cstring(raw[5:])
	if !ok {
		return nil, false
	}
	if _, rest, ok = cstring(rest); !ok || len(rest) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) != 4*n {
		return nil, false
	}
	var types []uint32
	for i := range n {
		types = append(types, binary.BigEndian.Uint32(rest[4*i:]))
	}
	return types, true
}

// renamed returns a copy of the message raw whose first len(names)
// NUL-terminated strings are replaced, in order; an empty replacement
// keeps the name. ok is false when raw does not hold that many strings.
func renamed(raw []byte, names ...string) (_ []byte, ok bool) {
	out := make([]byte, 0, len(raw)+len(names)*32)
	out = append(out, raw[0], 0, 0, 0, 0)
	rest := raw[5:]
	for _, n := range names {
		old, r, ok := cstring(rest)
		if !ok {
			return nil, false
		}
		if n == "" {
			n = old
		}
		out = append(append(out, n...), 0)
		rest = r
	}
	out = append(out, rest...)
	binary.BigEndian.PutUint32(out[1:5], uint32(len(out)-1))
	return out, true
}

// appendNamed appends a message of type typ whose body is kind and a name:
// Close and Describe.
func appendNamed(out []byte, typ, kind byte, name string) []byte {
	out = append(out, typ)
	out = binary.BigEndian.AppendUint32(out, uint32(4+1+len(name)+1))
	out = append(out, kind)
	out = append(out, name...)
	return append(out, 0)
}

// bindParams reads a Bind's parameter values, each with its format, for
// an approval request: an approval is of the statement with its values.
// ok is false for a Bind the server would refuse as malformed.
func bindParams(raw []byte) ([]approval.Param, bool) {
	_, rest, ok := cstring(raw[5:])
	if !ok {
		return nil, false
	}
	if _, rest, ok = cstring(rest); !ok {
		return nil, false
	}
	u16 := func() (int, bool) {
		if len(rest) < 2 {
			return 0, false
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		return n, true
	}
	nf, ok := u16()
	if !ok || len(rest) < 2*nf {
		return nil, false
	}
	formats := make([]int16, nf)
	for i := range formats {
		formats[i] = int16(binary.BigEndian.Uint16(rest[2*i:]))
	}
	rest = rest[2*nf:]
	np, ok := u16()
	if !ok || (nf > 1 && nf != np) {
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
		if n < 0 {
			params[i].Null = true
			continue
		}
		if int(n) > len(rest) {
			return nil, false
		}
		params[i].Value = append([]byte(nil), rest[:n]...)
		rest = rest[n:]
	}
	return params, true
}
