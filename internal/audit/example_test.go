package audit_test

import (
	"context"
	"fmt"
	"os"

	"github.com/dbward/dbward/internal/audit"
)

// The proxy's use of the trail: open it once, append a record before each
// statement runs (durably for writes), close it on shutdown. An auditor
// verifies the directory.
func Example() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	trail, err := audit.Open(ctx, audit.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	seq, err := trail.Append(&audit.Event{
		Type:         audit.TypeStatement,
		Session:      "c0a8-01",
		StatementSeq: 1,
		Identity:     audit.Identity{Name: "alice@example.com", Kind: "human"},
		Datastore:    "shop",
		Statement:    audit.Statement{Text: "DELETE FROM orders WHERE id = $1", Kind: "delete", Command: "DELETE"},
		Decision:     audit.Decision{Action: "allow"},
	}, true) // durable: a write runs only after its record is on disk
	fmt.Println("record", seq, err)
	if err := trail.Close(); err != nil {
		fmt.Println(err)
	}

	rep, err := audit.Verify(ctx, dir, audit.VerifyOptions{})
	fmt.Println("leaves", rep.Leaves, "tail", rep.Tail, "verify:", err)
	// Output:
	// record 1 <nil>
	// leaves 3 tail 0 verify: <nil>
}
