package mask

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Plan is what a policy decision says to mask (the decision's "mask"
// object): a strategy per classification, per column, for any other
// classified column ("*"), and what to do with a result column whose source
// cannot be determined ("unknown": "scan" masks what the content detectors
// find in it, "refuse" refuses the statement). A nil Plan masks nothing.
//
//	{"email": "partial", "card_number": "redact", "public.customers.phone": "clear",
//	 "*": "redact", "unknown": "scan"}
type Plan struct {
	byClass  map[detect.Class]Strategy
	byColumn map[string]Strategy // "schema.table.column"
	other    Strategy            // "*": classified columns the plan does not name
	refuse   bool                // "unknown": "refuse"
	parts    []*Plan             // a merged plan: the strictest of these
}

// Keys of a plan that are not classifications or columns.
const (
	keyOther   = "*"
	keyUnknown = "unknown"
)

// ParsePlan reads a decision's mask object. An empty or nil object gives
// a nil Plan. Errors name the key at fault.
func ParsePlan(m map[string]any) (*Plan, error) {
	if len(m) == 0 {
		return nil, nil
	}
	p := &Plan{byClass: map[detect.Class]Strategy{}, byColumn: map[string]Strategy{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error is always the same one
	for _, k := range keys {
		v := m[k]
		if k == keyUnknown {
			switch v {
			case "scan":
			case "refuse":
				p.refuse = true
			default:
				return nil, fmt.Errorf("mask: %q is %v, want \"scan\" or \"refuse\"", k, v)
			}
			continue
		}
		name, ok := v.(string)
		if o, isObj := v.(map[string]any); isObj {
			name, ok = o["strategy"].(string)
		}
		if !ok {
			return nil, fmt.Errorf("mask: %q: want a strategy name or {\"strategy\": name}", k)
		}
		s, err := ParseStrategy(name)
		if err != nil {
			return nil, fmt.Errorf("mask: %q: %w", k, err)
		}
		switch {
		case k == keyOther:
			p.other = s
		case strings.Count(k, ".") == 2:
			p.byColumn[strings.ToLower(k)] = s
		default:
			c, err := detect.ParseClass(k)
			if err != nil {
				return nil, fmt.Errorf("mask: key %q is neither a classification, a schema.table.column, %q nor %q: %w", k, keyOther, keyUnknown, err)
			}
			p.byClass[c] = s
		}
	}
	return p, nil
}

// Active reports whether the plan may mask anything.
func (p *Plan) Active() bool {
	if p == nil {
		return false
	}
	for _, q := range p.parts {
		if q.Active() {
			return true
		}
	}
	if p.refuse || (p.other != "" && p.other != Clear) {
		return true
	}
	for _, s := range p.byClass {
		if s != Clear {
			return true
		}
	}
	for _, s := range p.byColumn {
		if s != Clear {
			return true
		}
	}
	return false
}

// RefusesUnknown reports whether a column of unknown source refuses the
// statement rather than being scanned.
func (p *Plan) RefusesUnknown() bool {
	if p == nil {
		return false
	}
	for _, q := range p.parts {
		if q.refuse {
			return true
		}
	}
	return p.refuse
}

// Strategy is how the plan masks a column of class c at "schema.table.column"
// (col may be empty). A column with no class is Clear unless named.
func (p *Plan) Strategy(c detect.Class, col string) Strategy {
	if p == nil {
		return Clear
	}
	if p.parts != nil {
		s := Clear
		for _, q := range p.parts {
			s = stricter(s, q.Strategy(c, col))
		}
		return s
	}
	if s, ok := p.byColumn[col]; ok && col != "" {
		return s
	}
	if c == "" {
		return Clear
	}
	if s, ok := p.byClass[c]; ok {
		return s
	}
	if p.other != "" {
		return p.other
	}
	return Clear
}

// strategyOf is how the plan masks values from a source: as its class or
// column says, except that a computed value is never masked partially
// (the last digits of substr(card, 1, 8) are the card's middle ones).
func (p *Plan) strategyOf(s Source) Strategy {
	st := p.Strategy(s.Class, s.Column)
	if st == Partial && s.Computed {
		return Redact
	}
	return st
}

// strictestSource returns, of the sources a computed column reads, the
// one the plan masks most strictly (the most sensitive one when the plan
// masks none of them): the column is masked as that one is.
func (p *Plan) strictestSource(sources []Source) Source {
	best, found := Source{}, false
	for _, s := range sources {
		if s.Class == "" && p.Strategy("", s.Column) == Clear {
			continue
		}
		if !found || strictness[p.strategyOf(s)] > strictness[p.strategyOf(best)] {
			best, found = s, true
		}
	}
	if !found {
		best, _ = mostSensitive(sources)
	}
	return best
}

// strictness orders strategies by how little of a value they let through.
var strictness = map[Strategy]int{Clear: 0, Partial: 1, Fake: 2, Token: 3, Hash: 4, Redact: 5, Nullify: 6}

// Merge combines the plans of the statements of one query string: each
// column gets the strictest strategy any of them gives it, so that no
// statement's data is masked less than its own decision says.
func Merge(plans ...*Plan) *Plan {
	var parts []*Plan
	for _, p := range plans {
		if p != nil {
			parts = append(parts, p)
		}
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return &Plan{parts: parts}
}

func stricter(a, b Strategy) Strategy {
	if strictness[b] > strictness[a] {
		return b
	}
	return a
}
