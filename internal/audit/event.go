package audit

import "time"

// Type says what an Event records. The values are part of the record format
// (the "type" key) and never change meaning.
type Type string

const (
	TypeSessionStart Type = "session.start"     // a client connected and authenticated; the session id is new
	TypeSessionEnd   Type = "session.end"       // the connection ended; Reason says how
	TypeAuthSuccess  Type = "auth.success"      // credentials accepted for Identity (AuthMethod says how)
	TypeAuthFailure  Type = "auth.failure"      // credentials refused; Reason says why, never the secret
	TypeStatement    Type = "statement"         // a statement and the decision on it, recorded before it runs; with Outcome when folded (Trail.FoldOutcome)
	TypeOutcome      Type = "statement.outcome" // how a statement ended, when it was not folded into the statement's record
	TypePolicyReload Type = "policy.reload"     // policies (re)loaded; Change says from where and the digest
	TypeConfigChange Type = "config.change"     // configuration (re)loaded; Change says from where and the digest
	TypeTrailStart   Type = "trail.start"       // written by Open: the trail (re)started; Reason says what recovery did
	TypeTrailStop    Type = "trail.stop"        // written by Close

	TypeApprovalRequest Type = "approval.request" // an approval request was created or changed state (approved, denied, expired, withdrawn, used): Identity is the requester
	TypeApprovalVote    Type = "approval.vote"    // a person voted on a request: Identity is the voter, Approval says how and where it stands
)

// Event is one audit record. A single struct covers every Type; fields that
// do not apply to a type stay zero and are left out of the encoding.
//
// The JSON encoding (see [Event.AppendJSON]) is part of the trail's format:
// keys appear in the order of the fields below, zero values are omitted
// (except Outcome.Rows and Outcome.Duration, which are always present in an
// outcome; an empty list counts as zero), map keys are sorted, and strings
// are escaped as encoding/json does without HTML escaping. It is the
// encoding/json encoding of the struct (with SetEscapeHTML(false)), and
// decoding it with encoding/json gives the event back.
type Event struct {
	// ID is unique per event. Append fills in a UUIDv7 when it is empty.
	ID string `json:"id"`
	// Time is when the event happened. Append uses the current time when
	// it is zero; it is always recorded in UTC with nanoseconds.
	Time time.Time `json:"time"`
	Type Type      `json:"type"`

	// Session identifies one client connection; every event of the session
	// carries it.
	Session string `json:"session,omitempty"`
	// StatementSeq numbers the statements of a session from 1. A statement
	// and its separate outcome record carry the same Session and
	// StatementSeq.
	StatementSeq uint64 `json:"statement_seq,omitempty"`

	Identity    Identity `json:"identity,omitzero"`
	AuthMethod  string   `json:"auth_method,omitempty"` // scram-sha-256, password, cert, …
	Datastore   string   `json:"datastore,omitempty"`
	Environment string   `json:"environment,omitempty"`
	Client      Client   `json:"client,omitzero"`

	Statement Statement         `json:"statement,omitzero"` // TypeStatement
	Decision  Decision          `json:"decision,omitzero"`  // TypeStatement
	Intent    map[string]string `json:"intent,omitempty"`   // TypeStatement: sqlcommenter pairs, as declared by the client
	Outcome   Outcome           `json:"outcome,omitzero"`   // TypeOutcome; TypeStatement when folded
	Change    Change            `json:"change,omitzero"`    // TypePolicyReload, TypeConfigChange
	Approval  Approval          `json:"approval,omitzero"`  // TypeApprovalRequest, TypeApprovalVote; TypeStatement: the request it waited for or ran under

	// Reason is free text for people: why a login failed, how a session
	// ended, what recovery did. Never a secret.
	Reason string `json:"reason,omitempty"`

	// Delayed is set by the trail, never by callers: the first attempt to
	// write this record failed and Append told a caller waiting for it that
	// the trail was unavailable (so the statement was refused); the record
	// was written once the trail recovered.
	Delayed bool `json:"delayed,omitempty"`
}

// Identity is who acted (DESIGN §1).
type Identity struct {
	Name        string   `json:"name,omitempty"`
	Kind        string   `json:"kind,omitempty"`        // human | agent | service
	Owner       string   `json:"owner,omitempty"`       // agents: the person they act for
	Fingerprint string   `json:"fingerprint,omitempty"` // agents: what software it is
	Groups      []string `json:"groups,omitempty"`
}

// Client is where a session comes from.
type Client struct {
	Addr            string `json:"addr,omitempty"`
	ApplicationName string `json:"application_name,omitempty"`
}

// Statement describes one statement as dbward understood it.
type Statement struct {
	// Text is the statement with literals replaced by placeholders ($1, ?),
	// unless policy asked for the full text (FullText). The caller does the
	// replacing; the trail records what it is given, cut to MaxTextBytes.
	Text          string  `json:"text,omitempty"`
	FullText      bool    `json:"full_text,omitempty"`
	TextTruncated bool    `json:"text_truncated,omitempty"` // set by the trail when Text was cut
	Fingerprint   string  `json:"fingerprint,omitempty"`
	Kind          string  `json:"kind,omitempty"`    // select, insert, ddl, privilege, … (analyze.Kind)
	Command       string  `json:"command,omitempty"` // SELECT, DELETE, DROP TABLE, …
	Tables        []Table `json:"tables,omitempty"`
}

// Table is one table a statement touches.
type Table struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
	Access string `json:"access,omitempty"` // read | write | ddl
}

// Decision is what policy decided about a statement.
type Decision struct {
	Action string `json:"action,omitempty"` // allow | deny | approve
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Outcome is how a statement ended. It is recorded in one of two ways: folded
// into the statement's own record (a TypeStatement event with Outcome set),
// when the statement ended while its record still waited to be written
// (Trail.FoldOutcome; typically a read), or else as a separate TypeOutcome
// record, linked to its statement by Event.Session and Event.StatementSeq.
// Readers must accept both.
type Outcome struct {
	Tag           string        `json:"tag,omitempty"` // command tag, e.g. "DELETE 3"
	Rows          int64         `json:"rows"`
	Duration      time.Duration `json:"duration_ns"`
	SQLState      string        `json:"sqlstate,omitempty"` // empty on success
	MaskedColumns int           `json:"masked_columns,omitempty"`
}

// Change describes a policy reload or a configuration change.
type Change struct {
	Source string `json:"source,omitempty"` // file or directory read
	Digest string `json:"digest,omitempty"` // sha256 of what was loaded
	Error  string `json:"error,omitempty"`  // why loading failed; empty on success
}

// Approval is an approval request's part in an event.
type Approval struct {
	Request string `json:"request,omitempty"` // its id, R-XXXX
	Vote    string `json:"vote,omitempty"`    // approve | deny
	State   string `json:"state,omitempty"`   // where the request stands: for a vote, when it was cast (it is recorded before it counts)
	Grant   string `json:"grant,omitempty"`   // the window the approver allowed, or a request was granted (Go duration); empty: one run
	Comment string `json:"comment,omitempty"`
}

// Limits that keep one record within a Merkle log entry (64 KiB).
const (
	// MaxTextBytes is the most of Statement.Text a record keeps; longer
	// text is cut at a UTF-8 boundary and TextTruncated is set.
	MaxTextBytes = 16 << 10
	// maxStringBytes bounds every other string field.
	maxStringBytes = 2 << 10
	// maxListItems bounds Tables, Groups and Intent.
	maxListItems = 128
	// maxEventBytes is the largest encoded event; tessera's entry limit
	// (65,535 bytes) less the record header.
	maxEventBytes = 65535 - recordHeaderSize
)
