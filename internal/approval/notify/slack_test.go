package notify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/approval"
)

func TestMrkdwn(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a <b> & c", 100, "a &lt;b&gt; &amp; c"},
		{"<https://evil.example|approve here>", 100, "&lt;https://evil.example|approve here&gt;"},
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"ab<cdef", 6, "ab…"}, // &lt; would not fit whole
		{"ééééééé", 4, "ééé…"},
	}
	for _, tt := range tests {
		got := mrkdwn(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("mrkdwn(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if utf8.RuneCountInString(got) > tt.n {
			t.Errorf("mrkdwn(%q, %d) = %q: longer than %d", tt.in, tt.n, got, tt.n)
		}
	}
}

// No run of backticks in a statement closes its code block early.
func TestUnfence(t *testing.T) {
	for k := 1; k <= 9; k++ {
		s := "SELECT '" + strings.Repeat("`", k) + "'"
		got := unfence(s)
		if strings.Contains(got, "```") {
			t.Errorf("unfence(%q) = %q", s, got)
		}
		if strings.ReplaceAll(got, "\u200b", "") != s {
			t.Errorf("unfence(%q) = %q: changed more than spacing", s, got)
		}
	}
}

// However long the statement and the reason, each section stays within
// Slack's 3,000 characters.
func TestSlackLimits(t *testing.T) {
	r := approval.Request{ID: "R-7Q2K", State: approval.Pending, Requester: approval.Person{Name: "dora@example.com", Kind: "human"},
		Datastore: "shop", Statement: approval.Statement{Text: strings.Repeat("&", 5000)},
		Rule: "r", Reason: strings.Repeat("<", 5000), Intent: map[string]string{"ticket": strings.Repeat(">", 5000)}}
	m := slackMessage("created", &r, "https://dbward.example.com/api/v1/approvals/R-7Q2K")
	for i, b := range m.Blocks {
		if b.Text != nil && utf8.RuneCountInString(b.Text.Text) > slackSection {
			t.Errorf("block %d has %d characters", i, utf8.RuneCountInString(b.Text.Text))
		}
	}
	if stmt := m.Blocks[1].Text.Text; !strings.HasSuffix(stmt, "&amp;…\n```") {
		t.Errorf("statement block ends %q", stmt[len(stmt)-20:])
	}
}
