package sink_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/audit/sink"
)

// A statement's outcome gives its OCSF event a status, whether the outcome
// was folded into the statement record or is a record of its own.
func TestOCSFStatementsAndOutcomes(t *testing.T) {
	stmt := audit.Event{Type: audit.TypeStatement, Session: "s", StatementSeq: 1,
		Statement: audit.Statement{Text: "SELECT $1/$2", Kind: "select", Command: "SELECT"},
		Decision:  audit.Decision{Action: "allow"}}
	ok := audit.Outcome{Tag: "SELECT 1", Rows: 1, Duration: time.Millisecond}
	failed := audit.Outcome{Duration: time.Millisecond, SQLState: "22012"}
	with := func(ev audit.Event, o audit.Outcome) audit.Event { ev.Outcome = o; return ev }
	outcome := func(o audit.Outcome) audit.Event {
		return audit.Event{Type: audit.TypeOutcome, Session: "s", StatementSeq: 1, Outcome: o}
	}
	for _, c := range []struct {
		name string
		ev   audit.Event
		want string // activity_id status_id status status_code action
	}{
		{"statement", stmt, "1 <nil> <nil> <nil> Allowed"},
		{"statement with its outcome", with(stmt, ok), "1 1 Success <nil> Allowed"},
		{"statement with its failure", with(stmt, failed), "1 2 Failure 22012 Allowed"},
		{"outcome record", outcome(ok), "4 1 Success <nil> <nil>"},
		{"failure record", outcome(failed), "4 2 Failure 22012 <nil>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			js, err := json.Marshal(&c.ev)
			if err != nil {
				t.Fatal(err)
			}
			out, err := sink.OCSF(7, js)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			if m["class_uid"] != float64(6005) {
				t.Errorf("class %v, want 6005", m["class_uid"])
			}
			if got := fmt.Sprint(m["activity_id"], " ", m["status_id"], " ", m["status"], " ", m["status_code"], " ", m["action"]); got != c.want {
				t.Errorf("got %s\nwant %s", got, c.want)
			}
		})
	}
}

// Approval events have no OCSF class: they are Base Events, with the
// dbward record whole under "unmapped".
func TestOCSFApprovalEvents(t *testing.T) {
	for _, ev := range []audit.Event{
		{Type: audit.TypeApprovalRequest, ID: "e1", Identity: audit.Identity{Name: "claude@alice", Kind: "agent", Owner: "alice"},
			Datastore: "shop", Approval: audit.Approval{Request: "R-7Q2K", State: "approved", Grant: "1h0m0s"}, Reason: "approved by dora"},
		{Type: audit.TypeApprovalVote, ID: "e2", Identity: audit.Identity{Name: "dora", Kind: "human"},
			Datastore: "shop", Approval: audit.Approval{Request: "R-7Q2K", Vote: "approve", State: "pending"}},
	} {
		js, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		out, err := sink.OCSF(3, js)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Class    int         `json:"class_uid"`
			Message  string      `json:"message"`
			Unmapped audit.Event `json:"unmapped"`
			Actor    struct {
				User struct{ Name string } `json:"user"`
			} `json:"actor"`
		}
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if m.Class != 0 || m.Actor.User.Name != ev.Identity.Name || m.Unmapped.ID != ev.ID || m.Unmapped.Approval != ev.Approval ||
			m.Unmapped.Datastore != "shop" || m.Message != string(ev.Type)+" "+ev.Reason {
			t.Errorf("%s as OCSF: %s", ev.Type, out)
		}
	}
}
