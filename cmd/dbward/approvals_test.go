package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/pgtest"
)

const approvalsPolicy = `package dbward

rules["agent_deletes_need_a_dba"] := {
	"action": "approve",
	"reason": "an agent's deletes need a DBA",
	"approvals": {"count": 1, "required_groups": ["dba"]},
} if {
	input.identity.kind == "agent"
	input.statement.kind == "delete"
}
`

// The whole defer-mode loop through the real binary: an agent's delete
// waits for a request, a DBA approves it with the CLI over the HTTP API,
// the agent sends it again and it runs once; a notification target hears
// of each step.
func TestApprovalsCLI(t *testing.T) {
	ctx := context.Background()
	pg := testDatabase(t, "appr", "appr_svc", "appr-pw", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5); GRANT ALL ON t TO appr_svc")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "policies"), 0o755)
	os.WriteFile(filepath.Join(dir, "policies", "approvals.rego"), []byte(approvalsPolicy), 0o644)
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	httpPort, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// The notification target keeps "event link token" of each message.
	var mu sync.Mutex
	var heard []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Event, URL string }
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		heard = append(heard, m.Event+" "+m.URL+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer target.Close()
	cfg := filepath.Join(dir, "dbward.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: {postgres: "127.0.0.1:%d", http: "0.0.0.0:%d"}
datastores:
  - name: appr
    environment: prod
    upstream: {address: %q, database: appr, user: appr_svc, password_env: APPR_PW, tls: disable}
identities:
  - {name: claude@alice, kind: agent, owner: alice, groups: [agents], token_env: AGENT_TOKEN}
  - {name: dora, kind: human, groups: [dba], token_env: DORA_TOKEN}
policy: {paths: [policies/]}
audit: {dir: %q}
approvals:
  url: https://dbward.example.com
  notify:
    - {name: ops, url_env: NOTIFY_URL, token_env: NOTIFY_TOKEN, events: [created, approved, used]}
`, port, httpPort, pg.Addr(), filepath.Join(dir, "audit"))), 0o600)
	cmd := startServe(t, cfg, port, "APPR_PW=appr-pw", "AGENT_TOKEN=agent-tok", "DORA_TOKEN=dora-tok",
		"NOTIFY_URL="+target.URL, "NOTIFY_TOKEN=notify-tok")
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()

	agent, err := pgx.Connect(ctx, fmt.Sprintf("postgres://claude%%40alice:agent-tok@127.0.0.1:%d/appr?sslmode=disable", port))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close(ctx)
	_, err = agent.Exec(ctx, "DELETE FROM t WHERE id = 2", pgx.QueryExecModeSimpleProtocol)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Fatalf("agent's delete: %v", err)
	}
	id := regexp.MustCompile(`R-[0-9A-Z]{4}`).FindString(pe.Message)
	if id == "" || !strings.Contains(pe.Hint, "dbward approvals approve "+id) {
		t.Fatalf("refusal: %q (hint %q)", pe.Message, pe.Hint)
	}

	cli := func(token string, args ...string) (string, string, int) {
		t.Helper()
		t.Setenv("DBWARD_TOKEN", token)
		var out, errb strings.Builder
		code := run(append([]string{"approvals"}, args...), &out, &errb)
		return out.String(), errb.String(), code
	}
	server := fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	// The queue, found through the config's listen.http.
	out, errOut, code := cli("dora-tok", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "DELETE FROM t WHERE id = 2") || !strings.Contains(out, "1 approval (dba)") {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = cli("dora-tok", "show", strings.ToLower(id), "--server", server)
	if code != 0 || !strings.Contains(out, "claude@alice (agent, for alice)") || !strings.Contains(out, "statement     DELETE FROM t WHERE id = 2") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	// The dry run's effect, with its sample, is what dora approves.
	if !strings.Contains(out, "effect        deletes 1 row from public.t (a dry run; approved once, it runs only if it affects exactly 1 row, or is rolled back)\n  before      id\n              2\n") {
		t.Errorf("show has no effect:\n%s", out)
	}

	// An agent cannot approve; nobody acts without a token.
	if _, errOut, code := cli("agent-tok", "approve", id, "--server", server); code != 1 || !strings.Contains(errOut, "an agent never approves") {
		t.Errorf("agent approves: exit %d: %s", code, errOut)
	}
	if _, errOut, code := cli("", "list", "--server", server); code != 2 || !strings.Contains(errOut, "DBWARD_TOKEN") {
		t.Errorf("no token: exit %d: %s", code, errOut)
	}
	if _, errOut, code := cli("dora-tok", "approve", "--server", server); code != 2 || !strings.Contains(errOut, "which request") {
		t.Errorf("no id: exit %d: %s", code, errOut)
	}

	out, errOut, code = cli("dora-tok", "approve", id, "--comment", "checked the row", "--server", server)
	if code != 0 || !strings.Contains(out, id+" is approved: claude@alice may run it once") {
		t.Fatalf("approve: exit %d\n%s%s", code, out, errOut)
	}
	if tag, err := agent.Exec(ctx, "DELETE FROM t WHERE id = 2", pgx.QueryExecModeSimpleProtocol); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("the approved delete: %v, %v", tag, err)
	}
	out, _, code = cli("dora-tok", "show", id, "--json", "--server", server)
	var r approval.Request
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.State != approval.Used || r.Votes[0].Comment != "checked the row" {
		t.Fatalf("show --json after the run: exit %d: %s", code, out)
	}
	if _, err := agent.Exec(ctx, "DELETE FROM t WHERE id = 2", pgx.QueryExecModeSimpleProtocol); err == nil {
		t.Error("a one-time approval ran twice")
	}
	if _, errOut, code := cli("dora-tok", "deny", id, "--server", server); code != 1 || !strings.Contains(errOut, "no longer pending") {
		t.Errorf("deny after use: exit %d: %s", code, errOut)
	}
	// The target heard of the request's creation, approval and use, and
	// of the request the delete sent again made.
	link := " https://dbward.example.com/api/v1/approvals/" + id + " Bearer notify-tok"
	want := []string{"approval.created" + link, "approval.approved" + link, "approval.used" + link, "approval.created"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got := slices.Clone(heard)
		mu.Unlock()
		if len(got) == len(want) && slices.Equal(got[:3], want[:3]) && strings.HasPrefix(got[3], want[3]+" ") && !strings.Contains(got[3], id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notification target heard\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// The API listens on all addresses here: dbward says tokens cross in clear.
	if log, _ := os.ReadFile(filepath.Join(dir, "dbward.log")); !strings.Contains(string(log), "is not on loopback and speaks plain HTTP") {
		t.Errorf("no warning about a non-loopback listen.http in the log:\n%s", log)
	}
}
