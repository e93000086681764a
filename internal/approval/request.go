package approval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"time"
)

// State is where a request is in its life.
type State string

const (
	Pending   State = "pending"   // waiting for votes
	Approved  State = "approved"  // the quorum approved: a grant until used up or its window closes
	Denied    State = "denied"    // an eligible approver denied it
	Expired   State = "expired"   // nobody decided before Request.ExpiresAt
	Withdrawn State = "withdrawn" // the client gave up (cancel, disconnect) before a decision
	Used      State = "used"      // approved once, and run
)

// Mode is how the client waits for a decision.
type Mode string

const (
	// Wait holds the statement until the request is decided (the default
	// for people).
	Wait Mode = "wait"
	// Defer refuses the statement at once with the request's id; once
	// approved, sending the same statement again runs it (the default for
	// agents).
	Defer Mode = "defer"
)

// Person is who asked, or who voted.
type Person struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // human, agent or service
	Groups []string `json:"groups,omitempty"`
	Owner  string   `json:"owner,omitempty"` // agents: the person they act for
}

func (p Person) inGroup(g string) bool {
	for _, x := range p.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Param is one bound parameter of an extended-protocol statement, as the
// client sent it.
type Param struct {
	Null   bool   `json:"null,omitempty"`
	Format int16  `json:"format,omitempty"` // 0 text, 1 binary
	Value  []byte `json:"value,omitempty"`
}

// Statement is what the request would run.
type Statement struct {
	Text   string  `json:"text"`
	Params []Param `json:"params,omitempty"`
	// ParamTypes are the parameter type OIDs the client's Parse gave (0:
	// the server infers it): the same bytes mean another value as another
	// type.
	ParamTypes  []uint32 `json:"param_types,omitempty"`
	Fingerprint string   `json:"fingerprint"`
	Kind        string   `json:"kind,omitempty"`
	Command     string   `json:"command,omitempty"`
}

// Digest identifies the statement exactly: text and parameters, each
// length-prefixed so that no two different statements share a digest.
func (s Statement) Digest() string {
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	put([]byte(s.Text))
	binary.BigEndian.PutUint64(n[:], uint64(len(s.Params)))
	h.Write(n[:])
	for _, p := range s.Params {
		switch {
		case p.Null:
			h.Write([]byte{0})
		default:
			h.Write([]byte{1, byte(uint16(p.Format) >> 8), byte(p.Format)})
			put(p.Value)
		}
	}
	if len(s.ParamTypes) > 0 { // (absent from simple-protocol digests, which stay as they were)
		binary.BigEndian.PutUint64(n[:], uint64(len(s.ParamTypes)))
		h.Write(n[:])
		for _, t := range s.ParamTypes {
			binary.BigEndian.PutUint32(n[:4], t)
			h.Write(n[:4])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Effect is what a write would do, as a dry run found before anyone
// approved it: approvers approve an effect, not just a text.
type Effect struct {
	Summary string `json:"summary"` // "deletes 1,204 rows from public.orders"
	Command string `json:"command,omitempty"`
	Table   string `json:"table,omitempty"`
	Rows    int64  `json:"rows"`
	// A sample of the rows, as they were and as they would be; values the
	// policy masks are masked (nil: NULL).
	Columns []string    `json:"columns,omitempty"`
	Before  [][]*string `json:"before,omitempty"`
	After   [][]*string `json:"after,omitempty"`
	Note    string      `json:"note,omitempty"` // what the sample cannot show
	// MinRows and MaxRows bound the rows the approved statement may affect
	// when it runs (the policy's tolerance_percent around Rows); otherwise
	// it is rolled back.
	MinRows int64 `json:"min_rows"`
	MaxRows int64 `json:"max_rows"`
}

// Allows reports whether a run that affected rows stays within e's bounds.
func (e *Effect) Allows(rows int64) bool {
	return e == nil || rows >= e.MinRows && rows <= e.MaxRows
}

// Bounds sets MinRows and MaxRows to Rows give or take percent of it.
func (e *Effect) Bounds(percent float64) {
	d := int64(float64(e.Rows) * percent / 100)
	e.MinRows, e.MaxRows = max(e.Rows-d, 0), e.Rows+d
}

// Vote is one approver's decision.
type Vote struct {
	By      Person    `json:"by"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
	// Grant is the window this approver allows the statement to run in
	// again and again; zero: once. The request gets the narrowest window
	// its approvers allowed.
	Grant time.Duration `json:"grant,omitempty"`
}

// Request is one statement waiting for, or granted, approval.
type Request struct {
	ID          string            `json:"id"`
	State       State             `json:"state"`
	Mode        Mode              `json:"mode"`
	Requester   Person            `json:"requester"`
	Datastore   string            `json:"datastore"`
	Environment string            `json:"environment,omitempty"`
	Statement   Statement         `json:"statement"`
	Rule        string            `json:"rule,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Intent      map[string]string `json:"intent,omitempty"`
	// Effect is the statement's preview; nil when it has none (reads,
	// DDL, COPY), and Preview says why when a write could not be previewed.
	Effect    *Effect   `json:"effect,omitempty"`
	Preview   string    `json:"preview,omitempty"`
	Quorum    Quorum    `json:"quorum"`
	Session   string    `json:"session,omitempty"` // the session that asked (audit correlation)
	Created   time.Time `json:"created"`
	ExpiresAt time.Time `json:"expires_at"`
	Votes     []Vote    `json:"votes,omitempty"`
	Decided   time.Time `json:"decided,omitzero"`
	// Why it ended: who denied and why, or why it was withdrawn.
	Outcome string `json:"outcome,omitempty"`
	// GrantUntil is when an approved request stops running its statement
	// again; zero: it runs once (then State is Used), and only before
	// UseBy.
	GrantUntil time.Time `json:"grant_until,omitzero"`
	UseBy      time.Time `json:"use_by,omitzero"`
	Uses       int       `json:"uses,omitempty"` // runs under the grant so far
}

// Errors of Store methods; test with errors.Is.
var (
	ErrNotFound   = errors.New("no such approval request")
	ErrNotPending = errors.New("the approval request is no longer pending")
	ErrSelf       = errors.New("nobody approves their own request")
	ErrAgent      = errors.New("an agent never approves")
	ErrNotPerson  = errors.New("only people approve")
	ErrOwner      = errors.New("the agent's owner does not count as an approver for this rule")
	ErrVoted      = errors.New("already voted on this request")
	ErrNoGrant    = errors.New("no approved request matches this statement")
)

// approvals counts the approving votes.
// Approvers names the people who approved r so far, in the order they
// voted.
func (r *Request) Approvers() []string {
	var names []string
	for _, p := range r.approvals() {
		names = append(names, p.Name)
	}
	return names
}

func (r *Request) approvals() []Person {
	var ps []Person
	for _, v := range r.Votes {
		if v.Approve {
			ps = append(ps, v.By)
		}
	}
	return ps
}

// narrowestGrant is the shortest window the approving votes allowed; zero
// when any allowed none (the statement runs once).
func (r *Request) narrowestGrant() time.Duration {
	var w time.Duration
	for i, v := range r.Votes {
		if !v.Approve {
			continue
		}
		if v.Grant <= 0 {
			return 0
		}
		if i == 0 || w == 0 || v.Grant < w {
			w = v.Grant
		}
	}
	return w
}

// eligible reports why voter may not cast this vote on r, or nil. An
// agent's owner may always deny: stopping one's own agent needs no quorum.
func (r *Request) eligible(voter Person, approve bool) error {
	switch {
	case voter.Kind == "agent":
		return ErrAgent
	case voter.Kind != "human":
		return ErrNotPerson
	case voter.Name == r.Requester.Name:
		return ErrSelf
	case approve && r.Requester.Kind == "agent" && r.Requester.Owner != "" && voter.Name == r.Requester.Owner && !r.Quorum.OwnerCounts:
		return ErrOwner
	}
	for _, v := range r.Votes {
		if v.By.Name == voter.Name {
			return ErrVoted
		}
	}
	return nil
}
