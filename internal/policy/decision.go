package policy

import (
	"fmt"
)

// Action is what a decision says to do with a statement.
type Action string

const (
	Allow   Action = "allow"
	Approve Action = "approve"
	Deny    Action = "deny"
)

func (a Action) rank() int {
	switch a {
	case Allow:
		return 0
	case Approve:
		return 1
	}
	return 2 // deny, and anything unknown: fail closed
}

// Approvals is the quorum an approve decision asks for.
type Approvals struct {
	Count          int      `json:"count"`
	DistinctGroups bool     `json:"distinct_groups"`
	RequiredGroups []string `json:"required_groups"`
}

// Decision is data.dbward.decision for one statement. Decisions are shared
// through the cache: callers must not modify them.
type Decision struct {
	Action    Action         `json:"action"`
	Rule      string         `json:"rule"`
	Reason    string         `json:"reason"`
	Hint      string         `json:"hint"`
	Approvals *Approvals     `json:"approvals,omitempty"`
	Mask      map[string]any `json:"mask,omitempty"`
}

// Strictest returns the most restrictive of ds (deny > approve > allow); the
// first wins among equals. With no decisions it allows.
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

// decisionFrom reads the evaluated decision document.
func decisionFrom(v any) (Decision, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Decision{}, fmt.Errorf("data.dbward.decision is %T, not an object", v)
	}
	var d Decision
	str := func(k string) string { s, _ := m[k].(string); return s }
	d.Action, d.Rule, d.Reason, d.Hint = Action(str("action")), str("rule"), str("reason"), str("hint")
	switch d.Action {
	case Allow, Approve, Deny:
	default:
		return Decision{}, fmt.Errorf("rule %q: action %q is not allow, approve or deny", d.Rule, d.Action)
	}
	if a, ok := m["approvals"].(map[string]any); ok {
		d.Approvals = &Approvals{}
		if n, ok := a["count"].(jsonNumber); ok {
			c, _ := n.Int64()
			d.Approvals.Count = int(c)
		}
		d.Approvals.DistinctGroups, _ = a["distinct_groups"].(bool)
		if gs, ok := a["required_groups"].([]any); ok {
			for _, g := range gs {
				if s, ok := g.(string); ok {
					d.Approvals.RequiredGroups = append(d.Approvals.RequiredGroups, s)
				}
			}
		}
	}
	if mask, ok := m["mask"].(map[string]any); ok {
		d.Mask = mask
	}
	return d, nil
}
