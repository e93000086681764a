package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/approval"
)

// A Slack incoming-webhook message: text alone, or text (then the
// notification's fallback) and Block Kit blocks.
// https://api.slack.com/reference/block-kit/blocks
type slack struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"` // section or context
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // mrkdwn
	Text string `json:"text"`
}

// Slack's limits: a section's text holds 3,000 characters at most; the
// statement is cut well before, so that the message stays readable.
const (
	slackSection   = 3000
	slackStatement = 1500
)

// slackMessage tells of r: a new request with what an approver needs to
// decide, a decision in one line.
func slackMessage(event string, r *approval.Request, link string) slack {
	text := mrkdwn(Summary(r), slackSection)
	if link != "" {
		text += " (<" + escape(link) + "|details>)"
	}
	if event != "created" {
		return slack{Text: text}
	}
	title := "*Approval request " + r.ID + "*"
	if link != "" {
		title = "*Approval request <" + escape(link) + "|" + r.ID + ">*"
	}
	lines := []string{
		title,
		"*Who:* " + mrkdwn(requester(r), 300),
		"*Where:* " + mrkdwn(where(r), 300),
		"*Rule:* " + mrkdwn(r.Rule+": "+r.Reason, 1000),
	}
	if len(r.Intent) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(r.Intent)) {
			kv = append(kv, k+"="+r.Intent[k])
		}
		lines = append(lines, "*Intent:* "+mrkdwn(strings.Join(kv, ", "), 500))
	}
	if r.Effect != nil {
		lines = append(lines, "*Effect:* "+mrkdwn(r.Effect.Summary, 300)+" (a dry run)")
	}
	lines = append(lines, "*Needs:* "+mrkdwn(r.Quorum.Describe(), 300)+", by "+utc(r.ExpiresAt))
	return slack{Text: text, Blocks: []slackBlock{
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: strings.Join(lines, "\n")}},
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "```\n" + mrkdwn(unfence(r.Statement.Text), slackStatement) + "\n```"}},
		{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: fmt.Sprintf(
			"Approve: `dbward approvals approve %s` · deny: `dbward approvals deny %s --comment why`", r.ID, r.ID)}}},
	}}
}

// escape escapes the characters Slack parses in text: &, <, >. (Then a
// statement or a name cannot make a link or a mention.)
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// mrkdwn is s escaped, cut to at most n characters of escaped text (an
// entity is never cut in two), ending with "…" when cut.
func mrkdwn(s string, n int) string {
	if esc := escape(s); utf8.RuneCountInString(esc) <= n {
		return esc
	}
	var b strings.Builder
	used := 0
	for _, c := range s {
		e := escape(string(c))
		if used+utf8.RuneCountInString(e) > n-1 {
			break
		}
		b.WriteString(e)
		used += utf8.RuneCountInString(e)
	}
	return b.String() + "…"
}

// unfence keeps a statement inside its code block: a zero-width space
// between backticks leaves no run of three to close the block early.
func unfence(s string) string {
	return strings.ReplaceAll(s, "``", "`\u200b`")
}
