package main

import (
	"testing"
	"time"

	"github.com/dbward/dbward/internal/audit"
)

// Approval records say, on their line, which request and where it stands.
func TestFormatApprovalEvents(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ev   audit.Event
		want string
	}{
		{audit.Event{Time: at, Type: audit.TypeApprovalVote, Identity: audit.Identity{Name: "dora", Kind: "human"}, Datastore: "shop",
			Approval: audit.Approval{Request: "R-7Q2K", Vote: "approve", State: "pending", Grant: "1h0m0s", Comment: "checked"}},
			`3 2026-11-23T12:00:00.000Z approval.vote dora shop [approve R-7Q2K pending grant=1h0m0s] "checked"`},
		{audit.Event{Time: at, Type: audit.TypeApprovalRequest, Session: "s1", Identity: audit.Identity{Name: "claude@alice", Kind: "agent"}, Datastore: "shop",
			Decision: audit.Decision{Action: "approve", Rule: "agent_writes_need_approval"}, Approval: audit.Approval{Request: "R-7Q2K", State: "denied"},
			Reason: "denied by dora: not now"},
			`3 2026-11-23T12:00:00.000Z approval.request session=s1 claude@alice (agent) shop approve agent_writes_need_approval: [R-7Q2K denied] denied by dora: not now`},
	} {
		if got := formatEvent(3, &c.ev); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
