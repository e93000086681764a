package approval

import (
	"fmt"
	"slices"
	"strings"
)

// Quorum is what a policy's approve decision asks for (DESIGN §6,
// decision.approvals).
type Quorum struct {
	// Count is how many people must approve; at least 1.
	Count int `json:"count"`
	// DistinctGroups makes each counted approver stand for a different
	// group: two approvers from dba alone are one.
	DistinctGroups bool `json:"distinct_groups,omitempty"`
	// RequiredGroups must each be stood for by a different approver: with
	// ["dba", "security"], one approver from each (a person in both
	// stands for one of them).
	RequiredGroups []string `json:"required_groups,omitempty"`
	// OwnerCounts lets an agent's owner approve the agent's requests.
	OwnerCounts bool `json:"owner_counts,omitempty"`
}

// need is how many approvers the quorum asks for in all.
func (q Quorum) need() int { return max(q.Count, len(q.required()), 1) }

// required is RequiredGroups without repeats or empty names: naming a group
// twice asks for it once.
func (q Quorum) required() []string {
	var gs []string
	for _, g := range q.RequiredGroups {
		if g != "" && !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	return gs
}

// Met reports whether approvers, each eligible and counted once, satisfy q.
func (q Quorum) Met(approvers []Person) bool {
	if len(approvers) < q.need() {
		return false
	}
	required := q.required()
	if len(required) == 0 && !q.DistinctGroups {
		return true
	}
	// Assign approvers to the groups they stand for, one group each and
	// one approver per group: a bipartite matching, grown from the groups'
	// side so that a matched group stays matched while augmenting paths
	// move its approver. Required groups go first and must all be matched;
	// under DistinctGroups the matching then grows over every group, and
	// its size is the number of approvers that count.
	m := newMatcher(approvers)
	for _, g := range required {
		if !m.match(g) {
			return false
		}
	}
	if !q.DistinctGroups {
		return true
	}
	for _, p := range approvers {
		for _, g := range p.Groups {
			if _, done := m.byGroup[g]; !done && g != "" {
				m.match(g)
			}
		}
	}
	return len(m.byGroup) >= q.need()
}

// Describe says what q asks for, for people: "2 approvals (dba, security)".
func (q Quorum) Describe() string {
	n := q.need()
	s := fmt.Sprintf("%d approval", n)
	if n != 1 {
		s += "s"
	}
	var extra []string
	if required := q.required(); len(required) > 0 {
		extra = append(extra, strings.Join(required, ", "))
	}
	if q.DistinctGroups {
		extra = append(extra, "each from a different group")
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	return s
}

// matcher is Kuhn's augmenting-path matching of groups to approvers.
type matcher struct {
	people   []Person
	byGroup  map[string]int // group -> index of the approver standing for it
	byPerson map[int]string // approver index -> group
	seen     map[int]bool
}

func newMatcher(people []Person) *matcher {
	return &matcher{people: people, byGroup: map[string]int{}, byPerson: map[int]string{}}
}

// match tries to give group g an approver, moving others along an
// augmenting path if need be.
func (m *matcher) match(g string) bool {
	m.seen = map[int]bool{}
	return m.augment(g)
}

func (m *matcher) augment(g string) bool {
	for i, p := range m.people {
		if m.seen[i] || !p.inGroup(g) {
			continue
		}
		m.seen[i] = true
		prev, taken := m.byPerson[i]
		if !taken || m.augment(prev) {
			m.byPerson[i] = g
			m.byGroup[g] = i
			return true
		}
	}
	return false
}
