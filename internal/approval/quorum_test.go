package approval

import (
	"strings"
	"testing"
)

func people(spec ...string) []Person {
	// "name:g1,g2"
	var ps []Person
	for _, s := range spec {
		p := Person{Kind: "human"}
		name, groups, _ := cut(s, ':')
		p.Name = name
		for groups != "" {
			var g string
			g, groups, _ = cut(groups, ',')
			p.Groups = append(p.Groups, g)
		}
		ps = append(ps, p)
	}
	return ps
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestQuorumMet(t *testing.T) {
	dbaSec := Quorum{Count: 2, RequiredGroups: []string{"dba", "security"}}
	tests := []struct {
		name      string
		q         Quorum
		approvers []Person
		want      bool
	}{
		{"one of one", Quorum{Count: 1}, people("bob"), true},
		{"none", Quorum{Count: 1}, nil, false},
		{"zero count still needs one", Quorum{}, nil, false},
		{"two needed, one given", Quorum{Count: 2}, people("bob"), false},
		{"two of two", Quorum{Count: 2}, people("bob", "carol"), true},

		{"required dba met", Quorum{Count: 1, RequiredGroups: []string{"dba"}}, people("bob:dba"), true},
		{"required dba missing", Quorum{Count: 1, RequiredGroups: []string{"dba"}}, people("bob:dev"), false},
		{"required groups raise the count", Quorum{Count: 1, RequiredGroups: []string{"dba", "security"}}, people("bob:dba"), false},
		{"dba and security", dbaSec, people("bob:dba", "sue:security"), true},
		{"two dbas are not security", dbaSec, people("bob:dba", "ann:dba"), false},
		{"one person in both groups stands for one", dbaSec, people("eve:dba,security"), false},
		{"person in both plus a dba", dbaSec, people("eve:dba,security", "bob:dba"), true},
		{"person in both plus a security", dbaSec, people("sue:security", "eve:dba,security"), true},
		{"required plus free count", Quorum{Count: 3, RequiredGroups: []string{"dba"}}, people("bob:dba", "x", "y"), true},

		{"distinct: same group twice is one", Quorum{Count: 2, DistinctGroups: true}, people("bob:dba", "ann:dba"), false},
		{"distinct: two groups", Quorum{Count: 2, DistinctGroups: true}, people("bob:dba", "sue:security"), true},
		{"distinct: no groups count for nothing", Quorum{Count: 1, DistinctGroups: true}, people("bob"), false},
		{"distinct: augmenting path", Quorum{Count: 2, DistinctGroups: true}, people("eve:dba,security", "bob:dba"), true},
		{"distinct with required", Quorum{Count: 3, DistinctGroups: true, RequiredGroups: []string{"dba"}}, people("eve:dba,security", "bob:dba", "sue:security"), false},
		{"a group named twice is asked for once", Quorum{Count: 1, DistinctGroups: true, RequiredGroups: []string{"dba", "dba"}}, people("bob:dba", "ann:dba,sec"), true},
		{"a group named twice, no dba", Quorum{Count: 1, RequiredGroups: []string{"dba", "dba", ""}}, people("sue:sec"), false},
		{"empty group names ask for nothing", Quorum{Count: 1, RequiredGroups: []string{""}}, people("bob"), true},
		{"distinct with required, three groups", Quorum{Count: 3, DistinctGroups: true, RequiredGroups: []string{"dba"}}, people("eve:dba,security", "bob:dba", "sue:ops"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Met(tt.approvers); got != tt.want {
				t.Errorf("%+v.Met(%v) = %v, want %v", tt.q, tt.approvers, got, tt.want)
			}
		})
	}
}

func TestQuorumDescribe(t *testing.T) {
	for q, want := range map[*Quorum]string{
		{Count: 1}: "1 approval",
		{Count: 2, RequiredGroups: []string{"dba", "security"}}: "2 approvals (dba, security)",
		{Count: 2, DistinctGroups: true}:                        "2 approvals (each from a different group)",
		{Count: 1, RequiredGroups: []string{"dba", "dba"}}:      "1 approval (dba)",
	} {
		if got := q.Describe(); got != want {
			t.Errorf("%+v.Describe() = %q, want %q", *q, got, want)
		}
	}
}

func TestEligible(t *testing.T) {
	agentReq := &Request{Requester: Person{Name: "claude@alice", Kind: "agent", Owner: "alice"}, Quorum: Quorum{Count: 1}}
	humanReq := &Request{Requester: Person{Name: "alice", Kind: "human"}, Quorum: Quorum{Count: 1},
		Votes: []Vote{{By: Person{Name: "bob"}, Approve: true}}}
	ownerOK := &Request{Requester: agentReq.Requester, Quorum: Quorum{Count: 1, OwnerCounts: true}}
	tests := []struct {
		r       *Request
		voter   Person
		approve bool
		want    error
	}{
		{agentReq, Person{Name: "other-agent", Kind: "agent"}, true, ErrAgent},
		{agentReq, Person{Name: "claude@alice", Kind: "agent"}, true, ErrAgent},
		{agentReq, Person{Name: "ci", Kind: "service"}, true, ErrNotPerson},
		{agentReq, Person{Name: "nobody"}, true, ErrNotPerson},
		{agentReq, Person{Name: "alice", Kind: "human"}, true, ErrOwner},
		{agentReq, Person{Name: "alice", Kind: "human"}, false, nil}, // an owner may always stop their agent
		{ownerOK, Person{Name: "alice", Kind: "human"}, true, nil},
		{agentReq, Person{Name: "bob", Kind: "human"}, true, nil},
		{humanReq, Person{Name: "alice", Kind: "human"}, true, ErrSelf},
		{humanReq, Person{Name: "alice", Kind: "human"}, false, ErrSelf},
		{humanReq, Person{Name: "bob", Kind: "human"}, false, ErrVoted},
		{humanReq, Person{Name: "carol", Kind: "human"}, true, nil},
	}
	for _, tt := range tests {
		if got := tt.r.eligible(tt.voter, tt.approve); got != tt.want {
			t.Errorf("request by %s, voter %s (approve %v): %v, want %v", tt.r.Requester.Name, tt.voter.Name, tt.approve, got, tt.want)
		}
	}
}

func TestDigestSeparatesParameters(t *testing.T) {
	base := Statement{Text: "DELETE FROM t WHERE id = $1", Params: []Param{{Value: []byte("1")}}}
	others := []Statement{
		{Text: base.Text, Params: []Param{{Value: []byte("2")}}},
		{Text: base.Text, Params: []Param{{Null: true}}},
		{Text: base.Text, Params: []Param{{Value: []byte("1"), Format: 1}}},
		{Text: base.Text, Params: []Param{{Value: []byte("1"), Format: 256}}},
		{Text: base.Text, Params: []Param{{Value: []byte("1")}, {Null: true}}},
		{Text: base.Text},
		{Text: "DELETE FROM t WHERE id = $1 ", Params: base.Params},
		// Length prefixes keep text and parameter bytes apart.
		{Text: "DELETE FROM t WHERE id = $", Params: []Param{{Value: []byte("11")}}},
		// The same bytes as another type are another value.
		{Text: base.Text, Params: base.Params, ParamTypes: []uint32{23}},
		{Text: base.Text, Params: base.Params, ParamTypes: []uint32{0}},
	}
	for _, o := range others {
		if o.Digest() == base.Digest() {
			t.Errorf("%+v has the digest of %+v", o, base)
		}
	}
	same := Statement{Text: base.Text, Params: []Param{{Value: []byte("1")}}, Fingerprint: "x"}
	if same.Digest() != base.Digest() {
		t.Error("the digest depends on something besides text and parameters")
	}
}

// FuzzQuorumMet checks the matching against trying every assignment of
// approvers to groups, for small random quorums.
func FuzzQuorumMet(f *testing.F) {
	f.Add([]byte{2, 1, 3, 0b011, 0b001, 0b110}, true)
	f.Add([]byte{1, 0b10, 0b001, 0b001}, false)
	f.Fuzz(func(t *testing.T, b []byte, distinct bool) {
		if len(b) < 2 || len(b) > 7 {
			return
		}
		groups := []string{"a", "b", "c"}
		q := Quorum{Count: int(b[0]%4) + 1, DistinctGroups: distinct}
		for i, g := range groups {
			if b[1]&(1<<i) != 0 {
				q.RequiredGroups = append(q.RequiredGroups, g)
			}
		}
		var ps []Person
		for i, m := range b[2:] {
			p := Person{Name: string(rune('p' + i))}
			for j, g := range groups {
				if m&(1<<j) != 0 {
					p.Groups = append(p.Groups, g)
				}
			}
			ps = append(ps, p)
		}
		if got, want := q.Met(ps), bruteMet(q, ps); got != want {
			t.Fatalf("%+v.Met(%+v) = %v, brute force says %v", q, ps, got, want)
		}
	})
}

// bruteMet tries every choice of one group (or none) per approver.
func bruteMet(q Quorum, ps []Person) bool {
	choice := make([]string, len(ps))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(ps) {
			used := map[string]int{}
			counted := 0
			for _, g := range choice {
				if g != "" {
					used[g]++
				}
			}
			for _, n := range used {
				if n > 1 && q.DistinctGroups {
					return false
				}
			}
			for _, g := range q.RequiredGroups {
				if used[g] == 0 {
					return false
				}
			}
			if q.DistinctGroups {
				for _, g := range choice {
					if g != "" {
						counted++
					}
				}
			} else {
				counted = len(ps)
			}
			return counted >= q.need()
		}
		choice[i] = ""
		if try(i + 1) {
			return true
		}
		for _, g := range ps[i].Groups {
			choice[i] = g
			if try(i + 1) {
				return true
			}
		}
		return false
	}
	return try(0)
}

func TestRequestApprovers(t *testing.T) {
	r := Request{Votes: []Vote{{By: Person{Name: "bob"}, Approve: true}, {By: Person{Name: "eve"}}, {By: Person{Name: "sue"}, Approve: true}}}
	if got := strings.Join(r.Approvers(), ","); got != "bob,sue" {
		t.Errorf("approvers %q, want bob,sue (in voting order, denials left out)", got)
	}
}
