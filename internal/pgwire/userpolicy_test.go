package pgwire_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/config"
)

const userPolicy = `package dbward

rules["orders_deletes_need_approval"] := {
	"action": "approve",
	"reason": "deletes from orders need review",
	"approvals": {"count": 2, "distinct_groups": true, "required_groups": ["dba", "security"]},
} if {
	input.statement.kind == "delete"
	some t in input.statement.tables
	t.name == "orders"
}

# In dev, let PostgreSQL itself report syntax errors.
rules["unparseable"] := {"action": "allow"} if input.datastore.environment == "dev"

rules["no_forbidden_tool"] := {"action": "deny", "reason": "this tool is not allowed"} if {
	input.session.application_name == "forbidden-tool"
	input.statement.kind != "set"
}

rules["tickets_for_updates"] := {"action": "deny", "reason": "updates in prod need a ticket",
	"hint": "add /* ticket='OPS-123' */ to the statement"} if {
	input.datastore.environment == "prod"
	input.statement.kind == "update"
	not input.intent.ticket
}
`

func TestUserPolicies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "team.rego"), []byte(userPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startProxy(t, func(c *config.Config) { c.Policy.Paths = []string{dir} })
	resetDB(t, e.pg, "shop_prod")
	ctx := context.Background()
	c := e.connect(t, bob, bobToken, "shop")

	_, err := c.Exec(ctx, "DELETE FROM orders WHERE id = 3")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" ||
		pe.Message != "dbward: approval required by orders_deletes_need_approval: deletes from orders need review" ||
		!strings.Contains(pe.Detail, "2 approval(s) including dba, security") {
		t.Fatalf("approve decision: got %v (detail %q)", err, detail(pe))
	}
	if n := e.count(t, "shop_prod", "SELECT count(*) FROM orders"); n != 200 {
		t.Fatalf("the delete ran: %d orders", n)
	}

	_, err = c.Exec(ctx, "UPDATE orders SET total = 1 WHERE id = 4")
	expectRule(t, err, "tickets_for_updates")
	if _, err := c.Exec(ctx, "/* ticket='OPS-123',reason='fix%20total' */ UPDATE orders SET total = 1 WHERE id = 4"); err != nil {
		t.Fatalf("update with a ticket: %v", err)
	}

	// Policies see application_name as the session last set it.
	if _, err := c.Exec(ctx, "SET application_name = 'forbidden-tool'"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "SELECT 1")
	expectRule(t, err, "no_forbidden_tool")
	if _, err := c.Exec(ctx, "RESET application_name"); err != nil {
		t.Fatal(err)
	}

	// The built-in still refuses unparseable SQL in prod; in dev the
	// override lets PostgreSQL answer with its own syntax error.
	_, err = c.Exec(ctx, "SELEC 1")
	expectRule(t, err, "unparseable")
	dev := e.connect(t, bob, bobToken, "shopdev")
	_, err = dev.Exec(ctx, "SELEC 1")
	if !errors.As(err, &pe) || pe.Code != "42601" || strings.HasPrefix(pe.Message, "dbward") {
		t.Fatalf("dev: want PostgreSQL's own 42601, got %v", err)
	}
}

func detail(pe *pgconn.PgError) string {
	if pe == nil {
		return ""
	}
	return pe.Detail
}
