package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSearch(t *testing.T) {
	dir := t.TempDir()
	tr, err := Open(context.Background(), slowOptions(dir)) // so that an outcome can be folded
	if err != nil {
		t.Fatal(err)
	}
	alice := Identity{Name: "alice@example.com", Kind: "human"}
	agent := Identity{Name: "claude@alice", Kind: "agent", Owner: "alice@example.com"}
	bob := Identity{Name: "bob@example.com", Kind: "human"}
	job := Identity{Name: "nightly", Kind: "service"}
	stmt := func(session string, n uint64, id Identity, ds, table, action, fp string) *Event {
		return &Event{Type: TypeStatement, Session: session, StatementSeq: n, Identity: id, Datastore: ds,
			Statement: Statement{Text: "…", Fingerprint: fp, Tables: []Table{{Schema: "public", Name: table, Access: "read"}}},
			Decision:  Decision{Action: action}}
	}
	seqs := map[string]uint64{}
	app := func(name string, ev *Event) {
		s, err := tr.Append(ev, true)
		if err != nil {
			t.Fatal(err)
		}
		seqs[name] = s
	}
	app("a1", stmt("sa", 1, alice, "shop", "orders", "allow", "f1"))
	app("a1 outcome", &Event{Type: TypeOutcome, Session: "sa", StatementSeq: 1, Outcome: Outcome{Tag: "SELECT 3", Rows: 3, Duration: time.Millisecond}})
	app("g1", stmt("sg", 1, agent, "shop", "customers", "deny", "f2"))
	app("g1 outcome", &Event{Type: TypeOutcome, Session: "sg", StatementSeq: 1, Outcome: Outcome{SQLState: "42501"}})
	app("b1", stmt("sb", 1, bob, "hr", "salaries", "allow", "f1"))
	app("a2", stmt("sa", 2, alice, "hr", "salaries", "approve", "f3"))
	// A statement whose outcome the trail folds into its record.
	if seqs["j1"], err = tr.Append(stmt("sj", 1, job, "ops", "jobs", "allow", "f5"), false); err != nil {
		t.Fatal(err)
	}
	if !tr.FoldOutcome(seqs["j1"], Outcome{Tag: "SELECT 5", Rows: 5, Duration: time.Millisecond}) {
		t.Fatal("outcome not folded")
	}
	app("login", &Event{Type: TypeAuthFailure, Identity: Identity{Name: "mallory"}, Reason: "bad password"})

	ctx := context.Background()
	search := func(q Query) (got []string, ms []Match) {
		t.Helper()
		err := Search(ctx, dir, "", q, func(m Match) error {
			for name, s := range seqs {
				if s == m.Seq {
					got = append(got, name)
				}
			}
			ms = append(ms, m)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, ms
	}
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"all statements", Query{}, []string{"a1", "g1", "b1", "a2", "j1"}},
		{"outcomes, separate and folded", Query{Type: TypeOutcome}, []string{"a1 outcome", "g1 outcome", "j1"}},
		{"identity (and the agents it owns)", Query{Identity: "alice@example.com"}, []string{"a1", "g1", "a2"}},
		{"agent itself", Query{Identity: "claude@alice"}, []string{"g1"}},
		{"kind", Query{IdentityKind: "agent"}, []string{"g1"}},
		{"datastore", Query{Datastore: "hr"}, []string{"b1", "a2"}},
		{"table", Query{Table: "salaries"}, []string{"b1", "a2"}},
		{"schema.table", Query{Table: "public.orders"}, []string{"a1"}},
		{"decision", Query{Decision: "deny"}, []string{"g1"}},
		{"fingerprint", Query{Fingerprint: "f1"}, []string{"a1", "b1"}},
		{"combined", Query{Identity: "alice@example.com", Datastore: "hr"}, []string{"a2"}},
		{"limit", Query{Limit: 2}, []string{"a1", "g1"}},
		{"since the future", Query{Since: time.Now().Add(time.Hour)}, nil},
		{"until the future", Query{Until: time.Now().Add(time.Hour), Decision: "approve"}, []string{"a2"}},
		{"other type", Query{Type: TypeAuthFailure}, []string{"login"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := search(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	// A statement carries its outcome.
	_, ms := search(Query{Session: "sa"})
	var js map[string]any
	json.Unmarshal(ms[0].JSON, &js)
	if js["seq"] != float64(seqs["a1"]) || js["outcome"].(map[string]any)["tag"] != "SELECT 3" || ms[0].Event.Outcome.Rows != 3 {
		t.Errorf("statement with outcome: %s", ms[0].JSON)
	}
	if ms[1].Event.Outcome != (Outcome{}) {
		t.Errorf("statement without outcome got one: %s", ms[1].JSON)
	}
	// So does one whose outcome was folded into it, once.
	_, ms = search(Query{Session: "sj"})
	js = nil
	json.Unmarshal(ms[0].JSON, &js)
	if js["seq"] != float64(seqs["j1"]) || js["outcome"].(map[string]any)["tag"] != "SELECT 5" || ms[0].Event.Outcome.Rows != 5 ||
		strings.Count(string(ms[0].JSON), `"outcome":`) != 1 {
		t.Errorf("statement with a folded outcome: %s", ms[0].JSON)
	}

	// The index catches up with new records, and a rebuild gives the same.
	app("b2", stmt("sb", 2, bob, "hr", "salaries", "deny", "f4"))
	if got, _ := search(Query{Decision: "deny"}); !slices.Equal(got, []string{"g1", "b2"}) {
		t.Errorf("after more records: %v", got)
	}
	closeTrail(t, tr)
	n, err := Reindex(ctx, dir, "")
	if err != nil || n != seqs["b2"]+2 {
		t.Errorf("Reindex = %d, %v; want %d records", n, err, seqs["b2"]+2)
	}
	if got, _ := search(Query{Decision: "deny"}); !slices.Equal(got, []string{"g1", "b2"}) {
		t.Errorf("after Reindex: %v", got)
	}

	// Pointed at another trail, the index starts over.
	other := t.TempDir()
	tr = openTrail(t, other)
	tr.Append(stmt("x", 1, bob, "shop", "orders", "allow", "f9"), true)
	closeTrail(t, tr)
	index := filepath.Join(dir, indexFile)
	var got []uint64
	if err := Search(ctx, other, index, Query{}, func(m Match) error { got = append(got, m.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []uint64{1}) {
		t.Errorf("index reused for another trail: %v", got)
	}
	if _, err := os.Stat(index); err != nil {
		t.Fatal(err)
	}
}
