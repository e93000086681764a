package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/demo"
)

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("demo", stderr)
	dir := fs.String("dir", ".demo", "where the demo writes its config, policies and log")
	listen := fs.String("listen", "127.0.0.1:6432", "address dbward listens on")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of dbward's HTTP API (approvals)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "dbward demo:", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, "Starting PostgreSQL with the sample shop database…")
	w, err := demo.Setup(ctx, abs, *listen, *httpAddr)
	if err != nil {
		fmt.Fprintln(stderr, "dbward demo:", err)
		return 1
	}
	defer w.Stop()
	getenv := func(k string) string {
		if v, ok := w.Env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	cfg, err := config.Load(w.ConfigPath, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "dbward demo:", err)
		return 1
	}
	logPath := filepath.Join(abs, "dbward.log")
	logf, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(stderr, "dbward demo:", err)
		return 1
	}
	defer logf.Close()
	p, err := newProxy(ctx, cfg, w.ConfigPath, slog.New(slog.NewJSONHandler(logf, nil)), true)
	if err != nil {
		fmt.Fprintf(stderr, "dbward demo: %v\n(is another dbward running? choose other addresses with --listen and --http)\n", err)
		return 1
	}
	printDemo(stdout, w, p.ln.Addr().String(), logPath)
	if err := p.serve(ctx); err != nil {
		fmt.Fprintln(stderr, "dbward demo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "\nStopped dbward and PostgreSQL.")
	return exitOK
}

func printDemo(w io.Writer, world *demo.World, addr, logPath string) {
	conn := func(who, datastore string) string {
		return fmt.Sprintf(`PGPASSWORD='%s' psql "postgresql://%s@%s/%s?sslmode=require"`,
			world.Tokens[who], url.QueryEscape(who), addr, datastore)
	}
	fmt.Fprintf(w, `
dbward is running on %s in front of PostgreSQL on %s.
Config: %s   Log: %s

As alice, a human DBA — allowed:
  %s -c "SELECT status, count(*) FROM orders GROUP BY status"

As claude, an AI agent acting for alice, in prod — blocked:
  %s -c "DROP TABLE orders"
  %s -c "DELETE FROM orders"
  %s -c "SELECT label, secret FROM api_keys"

The same agent in dev, where the prod guardrails do not apply — allowed:
  %s -c "DELETE FROM orders WHERE status = 'refunded'"

Personal data, masked for the agent; in clear for alice in dev:
  %s -c "SELECT full_name, email, phone, national_id, card_number FROM customers LIMIT 3"
  %s -c "SELECT full_name, email, phone, national_id, card_number FROM customers LIMIT 3"

Expressions are traced to the columns they read, and COPY rows are masked too:
  %s -c "SELECT substr(card_number, 1, 8), md5(email), row_to_json(c) FROM customers c LIMIT 2"
  %s -c "COPY (SELECT * FROM customers LIMIT 2) TO STDOUT (FORMAT csv, HEADER)"

Sample the data and propose classifications for what column names do not tell:
  SHOP_DB_PASSWORD='%s' bin/dbward classify --config %s --datastore shop

An agent's update in prod waits for a DBA; alice approves it, and the agent runs it again:
  %s -c "UPDATE orders SET status = 'shipped' WHERE id = 1"
  DBWARD_TOKEN='%s' bin/dbward approvals list --config %s
  DBWARD_TOKEN='%s' bin/dbward approvals approve <the R-… id the error names> --config %s

Your own rules go in %s (the third blocked query and the approval rule come from there).

Every login, statement, decision and outcome above is in the audit trail:
  bin/dbward audit verify --config %s
  bin/dbward audit prove --config %s --index 5

Press Ctrl-C to stop dbward and PostgreSQL.
`, addr, world.PG.Addr(), world.ConfigPath, logPath,
		conn(demo.DBA, "shop"),
		conn(demo.Agent, "shop"), conn(demo.Agent, "shop"), conn(demo.Agent, "shop"),
		conn(demo.Agent, "shop_dev"),
		conn(demo.Agent, "shop"), conn(demo.DBA, "shop_dev"),
		conn(demo.Agent, "shop"), conn(demo.Agent, "shop"),
		world.Env["SHOP_DB_PASSWORD"], world.ConfigPath,
		conn(demo.Agent, "shop"), world.Tokens[demo.DBA], world.ConfigPath, world.Tokens[demo.DBA], world.ConfigPath,
		filepath.Join(world.Dir, "policies"), world.ConfigPath, world.ConfigPath)
}
