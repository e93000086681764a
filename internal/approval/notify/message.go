package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/approval"
)

// events names each state a request changes to: what
// approvals.notify[].events names (config.NotifyEvents), and, after
// "approval.", a JSON message's "event".
var events = map[approval.State]string{
	approval.Pending:   "created",
	approval.Approved:  "approved",
	approval.Denied:    "denied",
	approval.Expired:   "expired",
	approval.Withdrawn: "withdrawn",
	approval.Used:      "used",
}

// Event is the event of a request changing to state s: created for
// Pending, and otherwise the state's name.
func Event(s approval.State) string {
	if e, ok := events[s]; ok {
		return e
	}
	return string(s)
}

// jsonMessage is the json format: the request as the HTTP API shows it.
type jsonMessage struct {
	Event   string            `json:"event"` // approval.created, approval.approved...
	Request *approval.Request `json:"request"`
	Summary string            `json:"summary"`
	URL     string            `json:"url,omitempty"`
}

// encode writes the message about r in format. (Without escaping <, >
// and & as \u003c...: the JSON is the same, and reads as it will show.)
func (n *Notifier) encode(format, event string, r *approval.Request) ([]byte, error) {
	var m any = jsonMessage{Event: "approval." + event, Request: r, Summary: Summary(r), URL: n.link(r.ID)}
	if format == "slack" {
		m = slackMessage(event, r, n.link(r.ID))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(m)
	return b.Bytes(), err
}

// link is where people see request id, or "" without Options.Link.
func (n *Notifier) link(id string) string {
	if n.o.Link == "" {
		return ""
	}
	return strings.TrimRight(n.o.Link, "/") + "/api/v1/approvals/" + url.PathEscape(id)
}

// Summary says in one line what became of r:
//
//	R-7Q2K: claude@alice (agent for alice@example.com) asks to run DELETE on shop (prod); needs 1 approval (dba) by 2026-11-24 12:00 UTC
//	R-7Q2K approved by dora@example.com: claude@alice may run it once, until 2026-11-23 13:05 UTC
//	R-7Q2K denied by dora@example.com: not during the sale
func Summary(r *approval.Request) string {
	switch r.State {
	case approval.Pending:
		what := r.Statement.Command
		if what == "" {
			what = "a statement"
		}
		return fmt.Sprintf("%s: %s asks to run %s on %s; needs %s by %s", r.ID, requester(r), what, where(r),
			r.Quorum.Describe(), utc(r.ExpiresAt))
	case approval.Approved:
		s := fmt.Sprintf("%s approved by %s: %s may run it ", r.ID, strings.Join(r.Approvers(), ", "), r.Requester.Name)
		if !r.GrantUntil.IsZero() {
			return s + "until " + utc(r.GrantUntil)
		}
		return s + "once, until " + utc(r.UseBy)
	case approval.Denied:
		return r.ID + " " + r.Outcome // "denied by dora@example.com: why"
	case approval.Used:
		return fmt.Sprintf("%s used: %s ran it under its one-time grant", r.ID, r.Requester.Name)
	}
	if r.Outcome == "" {
		return fmt.Sprintf("%s %s", r.ID, r.State)
	}
	return fmt.Sprintf("%s %s: %s", r.ID, r.State, r.Outcome) // expired, withdrawn: why
}

// requester is who asked: "claude@alice (agent for alice@example.com)",
// "dora@example.com (human)".
func requester(r *approval.Request) string {
	p := r.Requester
	switch {
	case p.Owner != "":
		return fmt.Sprintf("%s (%s for %s)", p.Name, p.Kind, p.Owner)
	case p.Kind != "":
		return fmt.Sprintf("%s (%s)", p.Name, p.Kind)
	}
	return p.Name
}

// where is the datastore, with its environment: "shop (prod)".
func where(r *approval.Request) string {
	if r.Environment == "" {
		return r.Datastore
	}
	return r.Datastore + " (" + r.Environment + ")"
}

func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
