package policy_test

import (
	"context"
	"fmt"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/policy"
)

func Example() {
	engine, err := policy.New(context.Background(), policy.Options{}) // the built-in guardrails alone
	if err != nil {
		panic(err)
	}
	d, err := engine.Decide(context.Background(), &policy.Input{
		Identity:  policy.Identity{Name: "claude@alice", Kind: "agent", Groups: []string{"agents"}, Owner: "alice@example.com"},
		Datastore: policy.Datastore{Name: "shop", Engine: "postgres", Environment: "prod"},
		Statement: &analyze.Statement{
			Text: "DELETE FROM orders", Kind: analyze.KindDelete, Command: "DELETE", Commands: []string{"DELETE"},
			Tables:      []analyze.Table{{Schema: "public", Name: "orders", Access: analyze.AccessWrite}},
			Destructive: true, Where: false, Fingerprint: "a0ead580058af585",
		},
	})
	if err != nil {
		panic(err) // a caller refuses the statement instead
	}
	fmt.Println(d.Action, d.Rule)
	fmt.Println(d.Reason)
	fmt.Println("HINT:", d.Hint)
	// Output:
	// deny no_unbounded_write
	// DELETE without a WHERE clause that limits the rows is not allowed in prod
	// HINT: add a WHERE clause naming the rows to change (a constant condition such as WHERE true does not count); to change every row, ask a dba for an exception in policy
}
