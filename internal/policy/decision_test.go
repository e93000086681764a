package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestStrictest(t *testing.T) {
	allow := Decision{Action: Allow, Rule: "a"}
	allow2 := Decision{Action: Allow, Rule: "a2"}
	approve := Decision{Action: Approve, Rule: "p"}
	approve2 := Decision{Action: Approve, Rule: "p2"}
	deny := Decision{Action: Deny, Rule: "d"}
	deny2 := Decision{Action: Deny, Rule: "d2"}
	odd := Decision{Action: "permit", Rule: "odd"}
	cases := []struct {
		name string
		in   []Decision
		want string
	}{
		{"none allows", nil, ""},
		{"one", []Decision{approve}, "p"},
		{"deny beats approve and allow", []Decision{allow, approve, deny}, "d"},
		{"order does not matter", []Decision{deny, approve, allow}, "d"},
		{"approve beats allow", []Decision{allow, approve}, "p"},
		{"first allow among allows", []Decision{allow, allow2}, "a"},
		{"first approve among approves", []Decision{allow, approve, approve2}, "p"},
		{"first deny among denies", []Decision{deny2, deny}, "d2"},
		{"an unknown action counts as deny", []Decision{approve, odd}, "odd"},
	}
	for _, c := range cases {
		if got := Strictest(c.in...); got.Rule != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got.Rule, c.want)
		}
	}
	if got := Strictest(); got.Action != Allow {
		t.Errorf("Strictest() = %+v, want allow", got)
	}
}

// TestDecisionFrom covers what the built-in bundle never produces: the Go
// side refuses it rather than guessing.
func TestDecisionFrom(t *testing.T) {
	cases := []struct {
		src string
		err string // "" = valid
	}{
		{`{"action": "allow", "rule": "", "reason": "", "hint": ""}`, ""},
		{`{"action": "approve", "rule": "r", "approvals": {"count": 3, "distinct_groups": true, "required_groups": ["dba"]}}`, ""},
		{`{"action": "allow", "rule": "m", "mask": {"public.users.email": {"strategy": "hash"}}}`, ""},
		{`"deny"`, "not an object"},
		{`{"action": "block"}`, `action "block"`},
		{`{"action": "deny", "reason": 1}`, "reason is number"},
		{`{"action": "approve", "approvals": {"count": 0}}`, "count 0"},
		{`{"action": "approve", "approvals": {"count": 1.5}}`, "count 1.5"},
		{`{"action": "approve", "approvals": {"distinct_groups": "yes"}}`, "not a boolean"},
		{`{"action": "approve", "approvals": {"required_groups": ["dba", 1]}}`, "non-string"},
		{`{"action": "approve", "approvals": {"owner_counts": true, "mode": "defer", "expires": "30m"}}`, ""},
		{`{"action": "approve", "approvals": {"owner_counts": 1}}`, "owner_counts 1 is not a boolean"},
		{`{"action": "approve", "approvals": {"required_groups": ["dba", "dba"]}}`, "names a group twice"},
		{`{"action": "approve", "approvals": {"required_groups": [""]}}`, "an empty group"},
		{`{"action": "approve", "approvals": {"mode": "later"}}`, `mode "later"`},
		{`{"action": "approve", "approvals": {"expires": "soon"}}`, `expires "soon"`},
		{`{"action": "approve", "approvals": {"expires": "-1h"}}`, `expires "-1h"`},
		{`{"action": "approve", "approvals": {"expires": 3600}}`, `expires 3600`},
		{`{"action": "approve", "approvals": {"tolerance_percent": 12.5}}`, ""},
		{`{"action": "approve", "approvals": {"tolerance_percent": -3}}`, `tolerance_percent -3`},
		{`{"action": "approve", "approvals": {"tolerance_percent": "5%"}}`, `tolerance_percent "5%"`},
		{`{"action": "allow", "mask": ["x"]}`, "mask is []interface {}"},
	}
	for _, c := range cases {
		d, err := decisionFrom(ast.MustParseTerm(c.src).Value)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %+v, %v; want an error containing %q", c.src, d, err, c.err)
		}
	}
	d, _ := decisionFrom(ast.MustParseTerm(cases[1].src).Value)
	if d.Approvals == nil || d.Approvals.Count != 3 || !d.Approvals.DistinctGroups || len(d.Approvals.RequiredGroups) != 1 {
		t.Errorf("approvals read as %+v", d.Approvals)
	}
	d, _ = decisionFrom(ast.MustParseTerm(cases[10].src).Value)
	if a := d.Approvals; a == nil || !a.OwnerCounts || a.Mode != "defer" || a.Expires != 30*time.Minute || a.Count != 1 {
		t.Errorf("approvals read as %+v", d.Approvals)
	}
	d, _ = decisionFrom(ast.MustParseTerm(cases[2].src).Value)
	if m, ok := d.Mask["public.users.email"].(map[string]any); !ok || m["strategy"] != "hash" {
		t.Errorf("mask read as %#v", d.Mask)
	}
}
