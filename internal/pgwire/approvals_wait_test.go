package pgwire_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/pgwire"
)

var heldNotice = regexp.MustCompile(`^dbward: approval required — request (R-[0-9A-Z]{4}) needs 1 approval \(dba\); approve with: dbward approvals approve (R-[0-9A-Z]{4})$`)

var dora = approval.Person{Name: "dora@example.com", Kind: "human", Groups: []string{"dba"}}

// heldPsql is psql running one command through the proxy, its stderr read
// line by line as it comes.
type heldPsql struct {
	cmd    *exec.Cmd
	lines  chan string
	stdout strings.Builder
	done   chan error
}

func (e *env) startPsql(t *testing.T, who, datastore, command string) *heldPsql {
	t.Helper()
	bin := psqlBin(t)
	url := strings.Replace(e.url(who, "", datastore), ":@", "@", 1)
	p := &heldPsql{lines: make(chan string, 64), done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "-X", "-v", "ON_ERROR_STOP=1", url, "-c", command)
	p.cmd.Env = append(os.Environ(), "PGPASSWORD="+tokens[who], "PGCONNECT_TIMEOUT=10")
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	return p
}

// heldFor waits for psql's notice that its statement is held, and returns
// the request's id.
func (p *heldPsql) heldFor(t *testing.T) string {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("psql ended without a notice: %v", <-p.done)
			}
			if m := heldNotice.FindStringSubmatch(strings.TrimPrefix(line, "NOTICE:  ")); m != nil && m[1] == m[2] {
				return m[1]
			}
			t.Logf("psql: %s", line)
		case <-timeout:
			t.Fatal("no notice that the statement is held")
		}
	}
}

// wait waits for psql to end and returns its exit code and the rest of its
// stderr.
func (p *heldPsql) wait(t *testing.T) (code int, stderr string) {
	t.Helper()
	var rest []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if ok {
				rest = append(rest, line)
				continue
			}
			err := <-p.done
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return code, strings.Join(rest, "\n")
		case <-timeout:
			t.Fatal("psql still runs")
		}
	}
}

// ended waits for a held statement's result.
func ended(t *testing.T, errs <-chan error) error {
	t.Helper()
	select {
	case err := <-errs:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("the held statement did not end")
		return nil
	}
}

// stateBecomes waits for request id to reach state.
func stateBecomes(t *testing.T, store *approval.Store, id string, state approval.State) *approval.Request {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == state {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s is %s, want %s", id, r.State, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestApprovalsWaitMode(t *testing.T) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { testApprovalsWaitMode(t, r.relay) })
	}
}

func testApprovalsWaitMode(t *testing.T, relay pgwire.Relay) {
	ctx := context.Background()
	e, store, trail, auditDir := startApprovals(t, relay)
	total := func(id int) string {
		var s string
		if err := e.direct(t, "shop_prod").QueryRow(ctx, "SELECT total::text FROM orders WHERE id = $1", id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// psql: held with a notice, approved from elsewhere, then it runs.
	p := e.startPsql(t, bob, "shop", "UPDATE orders SET total = 1000 WHERE id = 5")
	id := p.heldFor(t)
	r, err := store.Get(ctx, id)
	if err != nil || r.Mode != approval.Wait || r.State != approval.Pending || r.Requester.Name != bob ||
		r.Statement.Text != "UPDATE orders SET total = 1000 WHERE id = 5" {
		t.Fatalf("the held statement's request: %+v, %v", r, err)
	}
	if d := time.Until(r.ExpiresAt); d < 50*time.Minute || d > time.Hour {
		t.Errorf("the request expires in %v, the policy said 1h", d)
	}
	time.Sleep(300 * time.Millisecond)
	if got := total(5); got != "5.00" {
		t.Fatalf("the held update ran before approval: total %s", got)
	}
	if _, err := store.Vote(ctx, id, dora, true, "fine", 0); err != nil {
		t.Fatal(err)
	}
	// (The notice's detail follows it.)
	if code, stderr := p.wait(t); code != 0 || !strings.HasPrefix(stderr, "DETAIL:  people_updates_need_a_dba: updates in prod need a DBA. It updates 1 row in public.orders. The statement is held until") ||
		strings.Contains(stderr, "\n") || strings.TrimSpace(p.stdout.String()) != "UPDATE 1" {
		t.Fatalf("psql after approval: exit %d, stdout %q, stderr %q", code, p.stdout.String(), stderr)
	}
	if got := total(5); got != "1000.00" {
		t.Fatalf("after approval: total %s", got)
	}
	if r := stateBecomes(t, store, id, approval.Used); r.Uses != 1 {
		t.Errorf("the held statement's grant was used %d times", r.Uses)
	}

	// pgx, in a transaction: denied, with who and why; the transaction is
	// aborted as by a server error.
	notices := make(chan string, 8)
	cfg, err := pgx.ParseConfig(e.url(bob, bobToken, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices <- n.Message }
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	noticed := func() string {
		t.Helper()
		select {
		case n := <-notices:
			m := heldNotice.FindStringSubmatch(n)
			if m == nil {
				t.Fatalf("notice %q", n)
			}
			return m[1]
		case <-time.After(10 * time.Second):
			t.Fatal("no notice that the statement is held")
		}
		return ""
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() { _, err := tx.Exec(ctx, "UPDATE orders SET total = 2000 WHERE id = 6"); errs <- err }()
	denied := noticed()
	if _, err := store.Vote(ctx, denied, dora, false, "not during the sale", 0); err != nil {
		t.Fatal(err)
	}
	var pe *pgconn.PgError
	if err := ended(t, errs); !errors.As(err, &pe) || pe.Code != "42501" || pe.Message != "dbward: denied by dora@example.com: request "+denied+": not during the sale" {
		t.Fatalf("denied: %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "25P02") {
		t.Errorf("after the denial the transaction is not aborted: %v", err)
	}
	tx.Rollback(ctx)

	// Expired: nobody decided within the policy's two seconds.
	_, err = c.Exec(ctx, "UPDATE customers SET name = 'x' WHERE id = 1")
	if !errors.As(err, &pe) || pe.Code != "42501" || !strings.Contains(pe.Message, "expired: nobody decided before it expired") {
		t.Fatalf("expired: %v", err)
	}
	expired := noticed()

	// A CancelRequest withdraws the request, and the statement is
	// cancelled as PostgreSQL cancels one; the session goes on.
	go func() { _, err := c.Exec(ctx, "UPDATE orders SET total = 3000 WHERE id = 7"); errs <- err }()
	cancelled := noticed()
	if err := c.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, errs); !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
		t.Fatalf("cancelled: %v", err)
	}
	if r := stateBecomes(t, store, cancelled, approval.Withdrawn); r.Outcome != "the client cancelled the statement" {
		t.Errorf("cancelled request's outcome: %q", r.Outcome)
	}
	if err := c.Ping(ctx); err != nil {
		t.Errorf("the session after a cancel: %v", err)
	}

	// A client that goes away withdraws its request; approving it later
	// runs nothing.
	p = e.startPsql(t, bob, "shop", "UPDATE orders SET total = 4000 WHERE id = 8")
	gone := p.heldFor(t)
	p.cmd.Process.Signal(syscall.SIGKILL)
	if r := stateBecomes(t, store, gone, approval.Withdrawn); r.Outcome != "the client disconnected" {
		t.Errorf("disconnected request's outcome: %q", r.Outcome)
	}
	if _, err := store.Vote(ctx, gone, dora, true, "", 0); !errors.Is(err, approval.ErrNotPending) {
		t.Errorf("approving a withdrawn request: %v", err)
	}
	if got := total(7) + " " + total(8); got != "7.00 8.00" {
		t.Errorf("withdrawn statements ran: totals %s", got)
	}

	// The trail has each held statement's record, with how it ended.
	e.stop()
	trail.Close()
	// Each request's life is recorded too, from its creation.
	want := map[string]string{id: "allow used", denied: "approve denied", expired: "approve expired", cancelled: "approve withdrawn", gone: "approve withdrawn"}
	lives := map[string]string{id: "pending approved used", denied: "pending denied", expired: "pending expired",
		cancelled: "pending withdrawn", gone: "pending withdrawn"}
	evs := records(t, auditDir)
	for _, ev := range evs {
		if ev.Type == audit.TypeApprovalRequest && ev.Identity.Name == bob && ev.Session != "" && ev.Datastore == "shop" && ev.Statement.Text == "" {
			lives[ev.Approval.Request] = strings.TrimPrefix(strings.TrimPrefix(lives[ev.Approval.Request], ev.Approval.State), " ")
			if ev.Approval.Request == id && ev.Approval.State == "pending" && !strings.HasSuffix(ev.Reason, "; its preview updates 1 row in public.orders") {
				t.Errorf("the request's record does not say its effect: %q", ev.Reason)
			}
		}
	}
	for id, rest := range lives {
		if rest != "" {
			t.Errorf("request %s: no approval.request records of %q", id, rest)
		}
	}
	for _, ev := range evs {
		if ev.Type != audit.TypeStatement || ev.Approval.Request == "" {
			continue
		}
		got := string(ev.Decision.Action) + " " + ev.Approval.State
		if want[ev.Approval.Request] != got {
			t.Errorf("record of %s: %s, want %s", ev.Approval.Request, got, want[ev.Approval.Request])
		}
		delete(want, ev.Approval.Request)
	}
	if len(want) > 0 {
		t.Errorf("no statement records of %v", want)
	}
}
