package pgwire

import (
	"bytes"
	"context"
	"errors"
)

// flushAt is how much relayed data may wait for more before it is written.
const flushAt = 64 << 10

// clientToServer relays client messages to the upstream, judging every
// statement first. Statements arrive in Query (simple protocol) and Parse
// (extended protocol) messages; FunctionCall (fast path) is refused since
// what it runs is only an OID. Everything else — Bind, Execute, Describe,
// Sync, COPY data — is relayed as it is: it can only run what a judged
// Parse or Query defined. Writes are batched while the client has more
// messages in flight, so pipelines stay pipelines.
func (ss *session) clientToServer(ctx context.Context) {
	out := make([]byte, 0, 8<<10)
	for {
		typ, raw, err := ss.cr.next()
		if err != nil {
			ss.clientReadFailed(err)
			ss.silence()
			return
		}
		switch typ {
		case 'Q':
			text, _, ok := cstring(raw[5:])
			if !ok {
				ss.terminate(fatal(codeProtocolViolation, "dbward: invalid Query message", ""))
				return
			}
			if perr := ss.judge(ctx, text); perr != nil {
				out = ss.denials.appendQuery(out, perr)
			} else {
				out = append(out, raw...)
			}
		case 'P':
			name, rest, ok := cstring(raw[5:])
			text, _, ok2 := cstring(rest)
			if !ok || !ok2 {
				ss.terminate(fatal(codeProtocolViolation, "dbward: invalid Parse message", ""))
				return
			}
			if perr := ss.judge(ctx, text); perr != nil {
				out = ss.denials.appendParse(out, name, perr)
			} else {
				out = append(out, raw...)
			}
		case 'F':
			out = ss.denials.appendQuery(out, &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
				Message: "dbward: blocked by fastpath_function_call: the fast-path function call protocol is not allowed",
				Hint:    "call the function with SELECT instead, so dbward can judge it"})
		case 'X':
			ss.silence()
			out = append(out, raw...)
			ss.up.Write(out)
			return
		default:
			out = append(out, raw...)
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

// serverToClient relays upstream messages to the client, keeping track of
// the transaction status and replacing the errors that stand for denials.
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
		switch typ {
		case 'E':
			if isFatal(raw) {
				// The upstream is ending the session and says why; that is
				// the message the client should see, not dbward's.
				out = append(out, raw...)
				ss.writeClient(out)
				ss.silence()
				out = out[:0]
				continue
			}
			out = ss.denials.rewrite(out, raw)
		case 'Z':
			if len(raw) >= 6 {
				ss.txStatus.Store(uint32(raw[5]))
			}
			out = append(out, raw...)
		case 'S':
			// SET application_name changes what policies see as the session's.
			if name, rest, ok := cstring(raw[5:]); ok && name == "application_name" {
				if v, _, ok := cstring(rest); ok {
					ss.appName.Store(&v)
				}
			}
			out = append(out, raw...)
		default:
			out = append(out, raw...)
		}
		if ss.ur.buffered() == 0 || len(out) >= flushAt {
			if err := ss.writeClient(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// isFatal reports whether an ErrorResponse has severity FATAL or PANIC. The
// severity field comes first in every PostgreSQL error.
func isFatal(raw []byte) bool {
	body := raw[5:]
	return len(body) > 1 && body[0] == 'S' && (bytes.HasPrefix(body[1:], []byte("FATAL\x00")) || bytes.HasPrefix(body[1:], []byte("PANIC\x00")))
}

func (ss *session) clientReadFailed(err error) {
	switch {
	case quietEnd(err):
	case errors.Is(err, ErrMessageTooLarge):
		ss.terminate(fatal(codeProtocolViolation, "dbward: message too large", "send smaller messages (large COPY data in chunks)"))
	case errors.Is(err, errMalformed):
		ss.terminate(fatal(codeProtocolViolation, "dbward: invalid message length", ""))
	default:
		ss.srv.log.Info("client read failed", "identity", ss.id.Name, "err", err)
	}
}

func (ss *session) upstreamLost(err error) *pgError {
	if !quietEnd(err) {
		ss.srv.log.Warn("upstream connection lost", "datastore", ss.ds.Name, "err", err)
	}
	return fatal(codeConnectionFailure, "dbward: the connection to the database was lost",
		"reconnect; if it persists, tell the operator")
}
