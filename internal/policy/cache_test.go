package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

func TestCacheKeyByFingerprintOrText(t *testing.T) {
	e := newEngine(t)
	select1 := func(text string, opts ...func(*analyze.Statement)) *Input {
		st := &analyze.Statement{Text: text, Kind: analyze.KindSelect, Command: "SELECT", Commands: []string{"SELECT"},
			Where: true, Fingerprint: "50fde20626009aba"}
		for _, o := range opts {
			o(st)
		}
		return &Input{Identity: bob, Datastore: prod, Statement: st}
	}
	literalSensitive := func(s *analyze.Statement) { s.LiteralSensitive = true }
	noFingerprint := func(s *analyze.Statement) { s.Fingerprint = "" }
	parseError := func(s *analyze.Statement) { s.ParseError = "syntax error" }
	cases := []struct {
		name string
		a, b *Input
		same bool
	}{
		{"same fingerprint, other literals", select1("SELECT 1"), select1("SELECT 2"), true},
		{"literal-sensitive", select1("SELECT set_config('role', 'a', false)", literalSensitive),
			select1("SELECT set_config('role', 'b', false)", literalSensitive), false},
		{"no fingerprint", select1("SELECT 1", noFingerprint), select1("SELECT 2", noFingerprint), false},
		{"parse error", select1("SELEC 1", parseError), select1("SELEC 2", parseError), false},
		{"same text, literal-sensitive", select1("SELECT 1", literalSensitive), select1("SELECT 1", literalSensitive), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if same := e.key(c.a) == e.key(c.b); same != c.same {
				t.Fatalf("keys equal = %v, want %v", same, c.same)
			}
			e.cache = newCache(DefaultCacheSize)
			for _, in := range []*Input{c.a, c.b} {
				if _, err := e.Decide(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			}
			want := 2
			if c.same {
				want = 1 // the second statement shared the first one's decision
			}
			if n := e.cache.len(); n != want {
				t.Fatalf("%d decisions cached, want %d", n, want)
			}
		})
	}
}

// TestCacheKeyCoversFacts: the same fingerprint with other facts (the
// catalog found that a function writes; other groups for the same name) is
// decided anew.
func TestCacheKeyCoversFacts(t *testing.T) {
	e := newEngine(t)
	plain := &analyze.Statement{Text: "SELECT bump()", Kind: analyze.KindSelect, Command: "SELECT", Commands: []string{"SELECT"},
		Functions: []string{"bump"}, Where: true, Fingerprint: "1111111111111111"}
	resolved := *plain
	resolved.Kind, resolved.Flags, resolved.Destructive = analyze.KindUnknown, []string{analyze.FlagVolatileFunction}, true
	if d := decide(t, e, bob, prod, plain); d.Action != Allow {
		t.Fatalf("before catalog resolution: %+v", d)
	}
	if d := decide(t, e, bob, prod, &resolved); d.Rule != "unknown_effect" {
		t.Fatalf("after catalog resolution: got %+v, want unknown_effect", d)
	}

	grant := stmt(analyze.KindPrivilege, []string{"GRANT"})
	promoted := bob
	promoted.Groups = []string{"analysts", "dba"}
	if d := decide(t, e, bob, prod, grant); d.Action != Deny {
		t.Fatalf("analyst grant: %+v", d)
	}
	if d := decide(t, e, promoted, prod, grant); d.Action != Allow {
		t.Fatalf("same name, now in dba: %+v", d)
	}
	staging := prod
	staging.Environment = "staging"
	if d := decide(t, e, bob, staging, grant); d.Action != Allow {
		t.Fatalf("same datastore name, other environment: %+v", d)
	}
}

func TestPolicyReadingTextKeysByText(t *testing.T) {
	e := newEngine(t, `package dbward

rules.no_secrets := {"action": "deny", "reason": "mentions a secret"} if contains(input.statement.text, "secret")
`)
	for _, c := range []struct {
		text string
		want Action
	}{{"SELECT 'public'", Allow}, {"SELECT 'secret'", Deny}, {"SELECT 'public'", Allow}} {
		st := &analyze.Statement{Text: c.text, Kind: analyze.KindSelect, Command: "SELECT", Commands: []string{"SELECT"},
			Where: true, Fingerprint: "2222222222222222"}
		if d := decide(t, e, bob, dev, st); d.Action != c.want {
			t.Errorf("%s: got %s, want %s", c.text, d.Action, c.want)
		}
	}
}

// TestReads: which policies count as reading which input fields. When in
// doubt, a policy reads.
func TestReads(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want reads
	}{
		{"built-ins only", "", reads{}},
		{"facts only", `rules.x := {"action": "deny"} if input.statement.kind == "ddl"`, reads{}},
		{"text", `rules.x := {"action": "deny"} if contains(input.statement.text, "x")`, reads{text: true}},
		{"statement as a whole", `rules.x := {"action": "deny"} if { s := input.statement; s.kind == "x" }`, reads{text: true}},
		{"statement key at run time", `rules.x := {"action": "deny"} if { some k; input.statement[k] == "x" }`, reads{text: true}},
		{"import alias", "import input.statement as s\n\nrules.x := {\"action\": \"deny\"} if s.text == \"x\"", reads{text: true}},
		{"intent", `rules.x := {"action": "deny"} if not input.intent.ticket`, reads{intent: true}},
		{"one session field", `rules.x := {"action": "deny"} if input.session.client_addr == "10.0.0.1"`, reads{clientAddr: true}},
		{"session as a whole", `rules.x := {"action": "deny"} if count(input.session) > 5`, reads{clientAddr: true, appName: true, inTx: true}},
		{"input as a whole", `rules.x := {"action": "deny"} if { x := input; x.a == 1 }`, reads{text: true, intent: true, clientAddr: true, appName: true, inTx: true}},
		{"input through a builtin", `rules.x := {"action": "deny"} if object.get(input, "a", 1) == 2`, reads{text: true, intent: true, clientAddr: true, appName: true, inTx: true}},
		{"input key at run time", `rules.x := {"action": "deny"} if { some k; input[k].text == 1 }`, reads{text: true, intent: true, clientAddr: true, appName: true, inTx: true}},
		{"clock", `rules.x := {"action": "deny"} if time.weekday(time.now_ns()) == "Friday"`, reads{nondeterministic: "time.now_ns"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e *Engine
			if c.src == "" {
				e = newEngine(t)
			} else {
				e = newEngine(t, "package dbward\n\n"+c.src+"\n")
			}
			if e.reads != c.want {
				t.Fatalf("reads %+v, want %+v", e.reads, c.want)
			}
		})
	}
	// A helper in another package counts as well.
	e := newEngine(t, "package dbward\n\nimport data.lib\n\nrules.x := {\"action\": \"deny\"} if lib.mentions_secret\n",
		"package lib\n\nmentions_secret if contains(input.statement.text, \"secret\")\n")
	if !e.reads.text {
		t.Fatal("text read through a helper package not noticed")
	}
}

func TestKeyLeavesOutWhatNoPolicyReads(t *testing.T) {
	in := func(addr string, intent map[string]string) *Input {
		return &Input{Identity: bob, Datastore: prod, Statement: stmt(analyze.KindDelete, []string{"DELETE"}, func(s *analyze.Statement) { s.Fingerprint = "3333333333333333" }),
			Session: Session{ClientAddr: addr, ApplicationName: "psql"}, Intent: intent}
	}
	plain := newEngine(t)
	if plain.key(in("10.0.0.1:5000", nil)) != plain.key(in("10.0.0.2:6000", map[string]string{"ticket": "OPS-1"})) {
		t.Error("session or intent in the key though no policy reads them")
	}

	e := newEngine(t, `package dbward

rules.ticket_required := {"action": "deny", "reason": "deletes in prod need a ticket", "hint": "add /* ticket='…' */"} if {
	input.datastore.environment == "prod"
	input.statement.kind == "delete"
	not input.intent.ticket
}

rules.office_only := {"action": "deny"} if not startswith(input.session.client_addr, "10.")
`)
	for _, c := range []struct {
		in   *Input
		rule string
	}{
		{in("10.0.0.1:5000", nil), "ticket_required"},
		{in("10.0.0.1:5000", map[string]string{"ticket": "OPS-42"}), ""},
		{in("10.0.0.1:5000", map[string]string{"reason": "cleanup"}), "ticket_required"},
		{in("192.168.1.1:5000", map[string]string{"ticket": "OPS-42"}), "office_only"},
	} {
		d, err := e.Decide(context.Background(), c.in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Rule != c.rule {
			t.Errorf("%s %v: decided by %q, want %q", c.in.Session.ClientAddr, c.in.Intent, d.Rule, c.rule)
		}
	}
	a := in("10.0.0.1:5000", map[string]string{"a": "1", "b": "2"})
	b := in("10.0.0.1:5000", map[string]string{"b": "2", "a": "1"})
	c := in("10.0.0.1:5000", map[string]string{"a": "2", "b": "1"})
	if e.key(a) != e.key(b) || e.key(a) == e.key(c) {
		t.Error("intent keying depends on order, or ignores which value goes with which name")
	}
}

func TestNondeterministicPolicyNotCached(t *testing.T) {
	e := newEngine(t, `package dbward

rules.not_on_friday := {"action": "deny"} if {
	time.weekday(time.now_ns()) == "Friday"
	input.datastore.environment == "prod"
}
`)
	if e.cache != nil {
		t.Fatal("decisions of a policy that reads the clock are cached")
	}
	decide(t, e, bob, prod, stmt(analyze.KindSelect, []string{"SELECT"}))
}

func TestCacheBound(t *testing.T) {
	c := newCache(4)
	keep := cacheKey{identity: "keep"}
	c.put(keep, Decision{Action: Deny, Rule: "kept"})
	for i := range 20 {
		c.put(cacheKey{identity: fmt.Sprint(i)}, Decision{Action: Allow})
		if _, ok := c.get(keep); !ok {
			t.Fatalf("a decision in use was dropped after %d others", i+1)
		}
		if n := c.len(); n > 4 {
			t.Fatalf("%d decisions held, bound 4", n)
		}
	}
	if _, ok := c.get(cacheKey{identity: "0"}); ok {
		t.Fatal("an unused old decision survived")
	}
	if d, _ := c.get(keep); d.Rule != "kept" {
		t.Fatalf("got %+v", d)
	}
}

// TestConcurrentDecide: the same answers from many goroutines as from one
// (run with -race to check for data races).
func TestConcurrentDecide(t *testing.T) {
	e, err := New(context.Background(), Options{CacheSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	var inputs []*Input
	for _, id := range []Identity{alice, bob, claude} {
		for _, st := range []*analyze.Statement{
			stmt(analyze.KindSelect, []string{"SELECT"}), stmt(analyze.KindDDL, []string{"DROP TABLE"}),
			stmt(analyze.KindPrivilege, []string{"GRANT"}), stmt(analyze.KindDDL, []string{"CREATE TABLE"}),
		} {
			inputs = append(inputs, &Input{Identity: id, Datastore: prod, Statement: st})
		}
	}
	want := make([]Decision, len(inputs))
	for i, in := range inputs {
		want[i] = decide(t, e, in.Identity, in.Datastore, in.Statement)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				j := (i + g) % len(inputs)
				d, err := e.Decide(context.Background(), inputs[j])
				if err != nil {
					t.Error(err)
					return
				}
				if d.Rule != want[j].Rule || d.Action != want[j].Action {
					t.Errorf("input %d: got %s by %q, want %s by %q", j, d.Action, d.Rule, want[j].Action, want[j].Rule)
					return
				}
			}
		})
	}
	wg.Wait()
}
