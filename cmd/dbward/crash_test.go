package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/pgtest"
)

// TestMain serves the shared test PostgreSQL, and lets a test run this
// binary as dbward itself (DBWARD_TEST_MAIN=1), so that it can be killed.
func TestMain(m *testing.M) {
	if os.Getenv("DBWARD_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(pgtest.Run(m))
}

// testDatabase makes database db on the shared test PostgreSQL, with role
// (password pw) for dbward to reach it as, and runs schema in it.
func testDatabase(t *testing.T, db, role, pw, schema string) *pgtest.Server {
	t.Helper()
	pg := pgtest.Shared(t)
	ctx := context.Background()
	if err := pg.CreateRole(ctx, role, pw); err != nil {
		t.Fatal(err)
	}
	if err := pg.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(ctx, db, schema); err != nil {
		t.Fatal(err)
	}
	return pg
}

// startServe runs this binary as dbward serve --config cfg with env added,
// its log beside cfg, and returns once it accepts connections on port.
func startServe(t *testing.T, cfg string, port int, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--config", cfg)
	cmd.Env = append(append(os.Environ(), "DBWARD_TEST_MAIN=1"), env...)
	logf, _ := os.Create(filepath.Join(filepath.Dir(cfg), "dbward.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return cmd
		}
		if i > 200 {
			cmd.Process.Kill()
			t.Fatal("dbward did not start listening")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// kill -9 while sessions write through dbward: every row that reached the
// database has its statement record, and the trail verifies — as it was
// left, and after dbward restarts on it.
func TestCrashLosesNoRecordOfWhatRan(t *testing.T) {
	ctx := context.Background()
	pg := testDatabase(t, "crash", "crash_svc", "crash-pw", "CREATE TABLE t (id int PRIMARY KEY); GRANT ALL ON t TO crash_svc")
	dir := t.TempDir()
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "dbward.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: {postgres: "127.0.0.1:%d", http: "127.0.0.1:0"}
datastores:
  - name: crash
    environment: prod
    upstream: {address: %q, database: crash, user: crash_svc, password_env: CRASH_PW, tls: disable}
identities:
  - {name: writer, kind: service, token_env: WRITER_TOKEN}
audit: {dir: %q}
`, port, pg.Addr(), filepath.Join(dir, "audit"))), 0o600)
	start := func() *exec.Cmd {
		return startServe(t, cfg, port, "CRASH_PW=crash-pw", "WRITER_TOKEN=w-token")
	}
	url := fmt.Sprintf("postgres://writer:w-token@127.0.0.1:%d/crash?sslmode=disable", port)

	cmd := start()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			for i := 0; ; i++ {
				id := w*1_000_000 + i
				q := fmt.Sprintf("/* req='%d' */ INSERT INTO t VALUES (%d)", id, id)
				if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
					return // dbward is gone
				}
			}
		})
	}
	time.Sleep(time.Duration(700+time.Now().UnixNano()%600) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	wg.Wait()

	check := func(when string) {
		recorded := map[string]bool{}
		err := audit.Records(ctx, filepath.Join(dir, "audit"), 0, func(_ uint64, b []byte) error {
			var ev audit.Event
			if err := json.Unmarshal(b, &ev); err != nil {
				return err
			}
			if ev.Type == audit.TypeStatement {
				recorded[ev.Intent["req"]] = true
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: reading the trail: %v", when, err)
		}
		db, err := pgx.Connect(ctx, pg.URL("crash", "crash_svc", "crash-pw"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(ctx)
		rows, _ := db.Query(ctx, "SELECT id FROM t")
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) < 20 {
			t.Fatalf("only %d rows were written before the kill; the test proves nothing", len(ids))
		}
		for _, id := range ids {
			if !recorded[fmt.Sprint(id)] {
				t.Fatalf("%s: row %d is in the database without its audit record (%d rows, %d records)", when, id, len(ids), len(recorded))
			}
		}
		if code, out, errs := runCLI("audit", "verify", "--config", cfg); code != 0 {
			t.Fatalf("%s: dbward audit verify: exit %d\n%s%s", when, code, out, errs)
		}
		t.Logf("%s: %d rows, all recorded", when, len(ids))
	}
	check("after kill -9")
	cmd = start() // recovery feeds the Merkle log what the journal holds
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond) // a checkpoint covers the re-fed records
	check("after restart")
}
