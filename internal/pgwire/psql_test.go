package pgwire_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// psql runs the real psql client through the proxy and returns its output.
func (e *env) psql(t *testing.T, who, datastore string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return e.psqlIn(t, who, datastore, "", args...)
}

// psqlBin is psql's path; without one, the test skips (fails where CI=true).
func psqlBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("psql")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("psql is not installed (make test installs it)")
		}
		t.Skip("psql is not installed")
	}
	return bin
}

// psqlIn is psql with stdin.
func (e *env) psqlIn(t *testing.T, who, datastore, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := psqlBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := strings.Replace(e.url(who, "", datastore), ":@", "@", 1)
	cmd := exec.CommandContext(ctx, bin, append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1", url}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+tokens[who], "PGCONNECT_TIMEOUT=10")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestPsql(t *testing.T) {
	e := startProxy(t, nil)
	resetDB(t, e.pg, "shop_prod")
	t.Run("allowed query", func(t *testing.T) {
		out, errs, code := e.psql(t, bob, "shop", "-At", "-c", "SELECT count(*) FROM customers")
		if code != 0 || strings.TrimSpace(out) != "50" {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
	})
	t.Run("describe commands", func(t *testing.T) {
		// psql's \d commands run catalog queries full of pg_catalog
		// functions: they must pass the prod guardrails, even for an agent.
		out, errs, code := e.psql(t, agent, "shop", "-c", `\dt`, "-c", `\d customers`, "-c", `\df`, "-c", `\du`)
		if code != 0 || !strings.Contains(out, "customers") || !strings.Contains(out, "order_count") {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
	})
	t.Run("blocked drop", func(t *testing.T) {
		_, errs, code := e.psql(t, agent, "shop", "-c", "DROP TABLE customers")
		if code == 0 || !strings.Contains(errs, "ERROR:  dbward: blocked by no_agent_ddl:") || !strings.Contains(errs, "HINT:") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		if !e.tableExists(t, "shop_prod", "customers") {
			t.Fatal("customers was dropped")
		}
	})
	t.Run("script with a transaction", func(t *testing.T) {
		script := "BEGIN;\nINSERT INTO scratch VALUES (1);\nDELETE FROM orders;\nCOMMIT;\n"
		_, errs, code := e.psql(t, bob, "shop", "-c", script)
		if code == 0 || !strings.Contains(errs, "no_unbounded_write") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
		if n := e.count(t, "shop_prod", "SELECT count(*) FROM scratch"); n != 0 {
			t.Fatalf("scratch has %d rows", n)
		}
	})
	t.Run("copy both ways", func(t *testing.T) {
		out, errs, code := e.psqlIn(t, alice, "shop", "5\n6\n7\n", "-c", `\copy scratch FROM STDIN`, "-c", `\copy (SELECT count(*) FROM scratch) TO STDOUT`)
		if code != 0 || strings.TrimSpace(out) != "3" {
			t.Fatalf("exit %d, out %q, stderr %q", code, out, errs)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		url := strings.Replace(strings.Replace(e.url(bob, "", "shop"), ":@", "@", 1), "sslmode=disable", "sslmode=require", 1)
		cmd := exec.Command("psql", "-X", "-At", url, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+bobToken)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	})
}
