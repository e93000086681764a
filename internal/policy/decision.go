package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Action is what a decision says to do with a statement.
type Action string

// Actions, from least to most restrictive.
const (
	Allow   Action = "allow"   // run the statement
	Approve Action = "approve" // run it only once approved (see Decision.Approvals)
	Deny    Action = "deny"    // refuse it
)

// rank orders actions by restriction. Anything unknown ranks as deny: a
// caller that meets an action it does not know fails closed.
func (a Action) rank() int {
	switch a {
	case Allow:
		return 0
	case Approve:
		return 1
	}
	return 2
}

// Approvals is the quorum an approve decision asks for.
type Approvals struct {
	Count          int      `json:"count"`           // approvals needed, at least 1
	DistinctGroups bool     `json:"distinct_groups"` // approvers must come from different groups
	RequiredGroups []string `json:"required_groups"` // groups that must each supply an approver
	OwnerCounts    bool     `json:"owner_counts"`    // an agent's owner may approve the agent's requests
	// Mode is how the client waits: "wait" (hold the statement) or "defer"
	// (refuse it with the request id; run it when sent again once
	// approved). "": wait for people, defer for agents and services.
	Mode string `json:"mode"`
	// Expires is how long a request waits for a decision; 0: the
	// approvals default.
	Expires time.Duration `json:"expires"`
	// TolerancePercent is how far, in percent of the rows the preview
	// found, the rows an approved statement affects may differ before it
	// is rolled back; 0: not at all.
	TolerancePercent float64 `json:"tolerance_percent"`
}

// Decision is data.dbward.decision for one statement.
//
// Decisions come from a cache and are shared: callers MUST NOT modify
// Approvals or Mask.
type Decision struct {
	Action    Action         `json:"action"`
	Rule      string         `json:"rule"`   // the rule that decided; "" when no rule applied
	Reason    string         `json:"reason"` // for people: what the rule objects to
	Hint      string         `json:"hint"`   // for people: what to do next
	Approvals *Approvals     `json:"approvals,omitempty"`
	Mask      map[string]any `json:"mask,omitempty"` // masks asked for by the rules in force, merged
	MaskPlan  any            `json:"-"`              // Mask as Options.CompileMask made it; nil without a mask
}

// Strictest returns the most restrictive of ds: deny > approve > allow, the
// first one wins among equals. With no decisions, it allows. Use it to
// combine the decisions for the statements of one query string.
func Strictest(ds ...Decision) Decision {
	if len(ds) == 0 {
		return Decision{Action: Allow}
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if d.Action.rank() > best.Action.rank() {
			best = d
		}
	}
	return best
}

var (
	kAction, kRule, kReason, kHint, kApprovals, kMask = key("action"), key("rule"), key("reason"), key("hint"), key("approvals"), key("mask")
	kCount, kDistinctGroups, kRequiredGroups          = key("count"), key("distinct_groups"), key("required_groups")
	kOwnerCounts, kMode, kExpires                     = key("owner_counts"), key("mode"), key("expires")
	kTolerancePercent                                 = key("tolerance_percent")
)

// decisionFrom reads the value of data.dbward.decision. The built-in bundle
// validates verdicts, so an error here means the decision logic itself was
// subverted; callers fail closed.
func decisionFrom(v ast.Value) (Decision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("data.dbward.decision is %s, not an object", ast.ValueName(v))
	}
	var d Decision
	var action string
	for _, f := range []struct {
		key *ast.Term
		dst *string
	}{{kAction, &action}, {kRule, &d.Rule}, {kReason, &d.Reason}, {kHint, &d.Hint}} {
		t := obj.Get(f.key)
		if t == nil {
			continue
		}
		s, ok := t.Value.(ast.String)
		if !ok {
			return Decision{}, fmt.Errorf("data.dbward.decision: %s is %s, not a string", string(f.key.Value.(ast.String)), ast.ValueName(t.Value))
		}
		*f.dst = string(s)
	}
	switch d.Action = Action(action); d.Action {
	case Allow, Approve, Deny:
	default:
		return Decision{}, fmt.Errorf("data.dbward.decision: rule %q: action %q is not allow, approve or deny", d.Rule, action)
	}
	if t := obj.Get(kApprovals); t != nil {
		a, err := approvalsFrom(t.Value)
		if err != nil {
			return Decision{}, fmt.Errorf("data.dbward.decision: rule %q: %w", d.Rule, err)
		}
		d.Approvals = a
	}
	if t := obj.Get(kMask); t != nil {
		m, err := ast.JSON(t.Value)
		if err != nil {
			return Decision{}, fmt.Errorf("data.dbward.decision: rule %q: mask: %w", d.Rule, err)
		}
		mask, ok := m.(map[string]any)
		if !ok {
			return Decision{}, fmt.Errorf("data.dbward.decision: rule %q: mask is %T, not an object", d.Rule, m)
		}
		d.Mask = mask
	}
	return d, nil
}

func approvalsFrom(v ast.Value) (*Approvals, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("approvals are %s, not an object", ast.ValueName(v))
	}
	a := &Approvals{Count: 1}
	if t := obj.Get(kCount); t != nil {
		c, ok := 0, false
		if n, isNum := t.Value.(ast.Number); isNum {
			c, ok = n.Int()
		}
		if !ok || c < 1 {
			return nil, fmt.Errorf("approvals count %v is not a whole number of at least 1", t)
		}
		a.Count = c
	}
	if t := obj.Get(kDistinctGroups); t != nil {
		b, ok := t.Value.(ast.Boolean)
		if !ok {
			return nil, fmt.Errorf("approvals distinct_groups %v is not a boolean", t)
		}
		a.DistinctGroups = bool(b)
	}
	if t := obj.Get(kOwnerCounts); t != nil {
		b, ok := t.Value.(ast.Boolean)
		if !ok {
			return nil, fmt.Errorf("approvals owner_counts %v is not a boolean", t)
		}
		a.OwnerCounts = bool(b)
	}
	if t := obj.Get(kMode); t != nil {
		m, ok := t.Value.(ast.String)
		if !ok || (m != "wait" && m != "defer") {
			return nil, fmt.Errorf(`approvals mode %v is not "wait" or "defer"`, t)
		}
		a.Mode = string(m)
	}
	if t := obj.Get(kExpires); t != nil {
		str, ok := t.Value.(ast.String)
		d, err := time.ParseDuration(string(str))
		if !ok || err != nil || d <= 0 {
			return nil, fmt.Errorf(`approvals expires %v is not a positive duration such as "30m" or "24h"`, t)
		}
		a.Expires = d
	}
	if t := obj.Get(kTolerancePercent); t != nil {
		n, ok := t.Value.(ast.Number)
		f := 0.0
		if ok {
			f, ok = n.Float64()
		}
		if !ok || f < 0 || f > 100 {
			return nil, fmt.Errorf("approvals tolerance_percent %v is not a number from 0 to 100", t)
		}
		a.TolerancePercent = f
	}
	if t := obj.Get(kRequiredGroups); t != nil {
		arr, ok := t.Value.(*ast.Array)
		if !ok {
			return nil, fmt.Errorf("approvals required_groups %v is not a list", t)
		}
		for i := range arr.Len() {
			s, ok := arr.Elem(i).Value.(ast.String)
			if !ok {
				return nil, fmt.Errorf("approvals required_groups %v holds a non-string", t)
			}
			if s == "" || slices.Contains(a.RequiredGroups, string(s)) {
				return nil, fmt.Errorf("approvals required_groups %v names a group twice or an empty group (each group supplies one approver; use count for more)", t)
			}
			a.RequiredGroups = append(a.RequiredGroups, string(s))
		}
	}
	return a, nil
}
