package policy

import (
	"context"
	"testing"

	"github.com/dbward/dbward/internal/analyze"
)

// pgbenchSelect is the statement of pgbench's select-only script.
func pgbenchSelect() *Input {
	return &Input{
		Identity:  Identity{Name: "pgbench", Kind: "service", Groups: []string{"load"}},
		Datastore: prod,
		Statement: &analyze.Statement{
			Text: "SELECT abalance FROM pgbench_accounts WHERE aid = 48213", Kind: analyze.KindSelect,
			Command: "SELECT", Commands: []string{"SELECT"},
			Tables: []analyze.Table{{Schema: "", Name: "pgbench_accounts", Access: analyze.AccessRead}},
			Where:  true, Fingerprint: "f0d5bbb5a82a4b0d",
		},
		Session: Session{ClientAddr: "127.0.0.1:50432", ApplicationName: "pgbench"},
	}
}

func boundedDelete() *Input {
	return &Input{
		Identity:  bob,
		Datastore: prod,
		Statement: &analyze.Statement{
			Text: "DELETE FROM orders WHERE id = 42", Kind: analyze.KindDelete, Command: "DELETE", Commands: []string{"DELETE"},
			Tables:      []analyze.Table{{Schema: "public", Name: "orders", Access: analyze.AccessWrite}},
			Destructive: false, Where: true, Fingerprint: "a0ead580058af585",
		},
		Session: Session{ClientAddr: "10.0.0.7:51234", ApplicationName: "psql"},
		Intent:  map[string]string{"ticket": "OPS-42"},
	}
}

func BenchmarkDecideCached(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	in := pgbenchSelect()
	if _, err := e.Decide(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Decide(context.Background(), in)
	}
}

func BenchmarkDecideUncached(b *testing.B) {
	for _, c := range []struct {
		name string
		in   *Input
	}{{"pgbench-select", pgbenchSelect()}, {"delete", boundedDelete()}} {
		b.Run(c.name, func(b *testing.B) {
			e, err := New(context.Background(), Options{CacheSize: -1})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Decide(context.Background(), c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInputValue is the cost of building the input document.
func BenchmarkInputValue(b *testing.B) {
	in := boundedDelete()
	b.ReportAllocs()
	for b.Loop() {
		in.value()
	}
}

// TestCachedDecideAllocations: a cache hit allocates nothing, with or
// without intent and session fields in the key.
func TestCachedDecideAllocations(t *testing.T) {
	plain := newEngine(t)
	reading := newEngine(t, `package dbward

rules.ticket := {"action": "deny"} if {
	not input.intent.ticket
	input.session.client_addr != ""
}
`)
	for name, e := range map[string]*Engine{"built-ins": plain, "reads intent and session": reading} {
		for _, in := range []*Input{pgbenchSelect(), boundedDelete()} {
			if _, err := e.Decide(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(200, func() { e.Decide(context.Background(), in) }); n > 0 {
				t.Errorf("%s: cached Decide of %q allocates %.1f times", name, in.Statement.Text, n)
			}
		}
	}
}
