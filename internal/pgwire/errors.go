package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"
)

// SQLSTATEs dbward itself reports. Every failure reaches the client as an
// ErrorResponse carrying one of these (STYLE: one error boundary).
const (
	codeInsufficientPrivilege = "42501" // blocked by policy, approval required
	codeSyntaxError           = "42601" // unparseable SQL refused (fail closed)
	codeInvalidPassword       = "28P01" // bad token or unknown identity
	codeInvalidAuthorization  = "28000" // TLS required, unsupported auth path
	codeInvalidCatalogName    = "3D000" // unknown datastore
	codeConnectionFailure     = "08006" // upstream unreachable or lost
	codeProtocolViolation     = "08P01" // malformed or oversized messages
	codeFeatureNotSupported   = "0A000" // replication connections, …
	codeAdminShutdown         = "57P01" // dbward is shutting down
	codeQueryCanceled         = "57014" // a statement held for approval was cancelled
	codeProgramLimitExceeded  = "54000" // too much held after a statement that waits for approval
	codeInternalError         = "XX000" // policy evaluation failed (fail closed)
)

// pgError is what a client is told. It never carries internals or secrets:
// those go to the log.
type pgError struct {
	Severity string // ERROR or FATAL
	Code     string
	Message  string
	Detail   string
	Hint     string
}

// appendTo appends the ErrorResponse message to dst.
func (e *pgError) appendTo(dst []byte) []byte { return e.encode(dst, false) }

// appendNotice appends e as a NoticeResponse (severity NOTICE) to dst.
func (e *pgError) appendNotice(dst []byte) []byte { return e.encode(dst, true) }

func (e *pgError) encode(dst []byte, notice bool) []byte {
	msg := pgproto3.ErrorResponse{
		Severity: e.Severity, SeverityUnlocalized: e.Severity,
		Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint,
	}
	var m pgproto3.BackendMessage = &msg
	if notice {
		m = (*pgproto3.NoticeResponse)(&msg)
	}
	out, err := m.Encode(dst)
	if err != nil {
		panic("BUG: encoding an ErrorResponse: " + err.Error())
	}
	return out
}

// gone stands for "the connection is gone": there is no one to tell.
var gone = &pgError{}

func fatal(code, msg, hint string) *pgError {
	return &pgError{Severity: "FATAL", Code: code, Message: msg, Hint: hint}
}
