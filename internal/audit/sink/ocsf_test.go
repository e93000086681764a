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
