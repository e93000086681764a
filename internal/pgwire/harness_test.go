package pgwire_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
	"github.com/dbward/dbward/internal/pgtest"
	"github.com/dbward/dbward/internal/pgwire"
	"github.com/dbward/dbward/internal/policy"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// Tokens of the test identities.
const (
	aliceToken = "alice-token-1"  // human, dba, token_env: SCRAM
	bobToken   = "bob-token-2"    // human, not dba, token_sha256: cleartext
	agentToken = "agent-token-3"  // agent acting for alice
	svcPass    = "svc-password-4" // dbward's upstream role
)

// env is one proxy in front of the shared test PostgreSQL, with a prod and
// a dev datastore over two databases of the same schema.
type env struct {
	pg    *pgtest.Server
	addr  string // proxy host:port
	proxy *pgwire.Server
	stop  func() // shuts the proxy down (also run at cleanup)
}

var (
	setupOnce sync.Once
	setupErr  error
)

const schema = `
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric(10,2));
CREATE TABLE scratch (id int);
INSERT INTO customers SELECT g, 'name ' || g, 'c' || g || '@example.com' FROM generate_series(1, 50) g;
INSERT INTO orders (customer_id, total) SELECT g % 50 + 1, g FROM generate_series(1, 200) g;
CREATE FUNCTION bump() RETURNS void LANGUAGE sql VOLATILE AS 'UPDATE orders SET total = total + 1';
CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM orders';
GRANT ALL ON ALL TABLES IN SCHEMA public TO dbward_svc;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO dbward_svc;
`

// databases used by the tests; each is reset by resetDB.
var databases = []string{"shop_prod", "shop_dev"}

func setupDatabases(ctx context.Context, pg *pgtest.Server) error {
	setupOnce.Do(func() {
		if setupErr = pg.CreateRole(ctx, "dbward_svc", svcPass, "CREATEROLE"); setupErr != nil {
			return
		}
		for _, db := range databases {
			if setupErr = pg.CreateDatabase(ctx, db); setupErr != nil {
				return
			}
			if setupErr = pg.Exec(ctx, db, "ALTER SCHEMA public OWNER TO dbward_svc"); setupErr != nil {
				return
			}
		}
	})
	return setupErr
}

// resetDB recreates the test schema in db.
func resetDB(t testing.TB, pg *pgtest.Server, db string) {
	t.Helper()
	ctx := context.Background()
	err := pg.Exec(ctx, db, `DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION dbward_svc;
		SET ROLE dbward_svc;`+schema)
	if err != nil {
		t.Fatalf("reset %s: %v", db, err)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// eachRelay runs a test against a proxy with each way of relaying
// sessions: the event loop (the default) and goroutines (TLS sessions,
// other platforms).
func eachRelay(t *testing.T, test func(t *testing.T, e *env)) {
	for _, r := range relays {
		t.Run(r.name, func(t *testing.T) { test(t, startProxyRelay(t, r.relay, nil)) })
	}
}

var relays = []struct {
	name  string
	relay pgwire.Relay
}{{"loop", pgwire.RelayLoop}, {"goroutines", pgwire.RelayGoroutines}}

// startProxy starts a proxy for the shared PostgreSQL; mutate may change
// the config before it is used.
func startProxy(t testing.TB, mutate func(*config.Config)) *env {
	return startProxyRelay(t, pgwire.RelayLoop, mutate)
}

func startProxyRelay(t testing.TB, relay pgwire.Relay, mutate func(*config.Config)) *env {
	return startProxyWith(t, pgwire.Options{Relay: relay}, mutate)
}

// startProxyWith starts a proxy with opts (Relay, Audit) on top of the
// test configuration.
func startProxyWith(t testing.TB, opts pgwire.Options, mutate func(*config.Config)) *env {
	t.Helper()
	pg := pgtest.Shared(t)
	ctx := context.Background()
	if err := setupDatabases(ctx, pg); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`
listen: {postgres: "127.0.0.1:0"}
datastores:
  - name: shop
    environment: prod
    upstream: {address: %[1]q, database: shop_prod, user: dbward_svc, password_env: SVC_PASS}
  - name: shopdev
    environment: dev
    upstream: {address: %[1]q, database: shop_dev, user: dbward_svc, password_env: SVC_PASS}
identities:
  - {name: alice@example.com, kind: human, groups: [dba], token_env: ALICE_TOKEN}
  - {name: bob@example.com, kind: human, groups: [analysts], token_sha256: %[2]q}
  - {name: claude@alice, kind: agent, owner: alice@example.com, fingerprint: anthropic/claude-code, groups: [agents], token_env: AGENT_TOKEN}
`, pg.Addr(), sha(bobToken))
	getenv := func(k string) string {
		return map[string]string{"SVC_PASS": svcPass, "ALICE_TOKEN": aliceToken, "AGENT_TOKEN": agentToken}[k]
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	ids, err := identity.NewStore(cfg.Identities)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(ctx, policy.Options{Paths: cfg.Policy.Paths})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	opts.Config, opts.Identities, opts.Analyzer, opts.Policy, opts.Logger = cfg, ids, analyze.New(analyze.Options{}), pol, logger
	srv, err := pgwire.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(done) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("proxy did not stop within 10s")
			}
		})
	}
	t.Cleanup(stop)
	return &env{pg: pg, addr: ln.Addr().String(), proxy: srv, stop: stop}
}

// rawSession logs in through the proxy and hands over the bare socket, for
// tests that speak the protocol byte by byte. It closes at cleanup; reads
// and writes time out after timeout.
func (e *env) rawSession(t testing.TB, user, token, datastore string, timeout time.Duration) net.Conn {
	t.Helper()
	pc, err := pgconn.Connect(context.Background(), e.url(user, token, datastore))
	if err != nil {
		t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.Conn.Close() })
	hc.Conn.SetDeadline(time.Now().Add(timeout))
	return hc.Conn
}

// url is a connection URL through the proxy.
func (e *env) url(user, token, datastore string, extra ...string) string {
	u := fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", urlEscape(user), urlEscape(token), e.addr, datastore)
	for _, x := range extra {
		u += "&" + x
	}
	return u
}

func urlEscape(s string) string {
	out := ""
	for _, c := range []byte(s) {
		if c == '@' || c == ':' || c == '/' || c == '%' {
			out += fmt.Sprintf("%%%02X", c)
		} else {
			out += string(c)
		}
	}
	return out
}

// connect opens a pgx connection through the proxy.
func (e *env) connect(t testing.TB, user, token, datastore string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.url(user, token, datastore))
	if err != nil {
		t.Fatalf("connect %s to %s: %v", user, datastore, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// direct opens a pgx connection straight to the test database, bypassing
// dbward: the tests' way to see what really happened.
func (e *env) direct(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), e.pg.URL(db, "dbward_svc", svcPass))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// count returns a single integer from a query run directly on db.
func (e *env) count(t testing.TB, db, query string) int64 {
	t.Helper()
	var n int64
	if err := e.direct(t, db).QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) tableExists(t testing.TB, db, table string) bool {
	return e.count(t, db, fmt.Sprintf("SELECT count(*) FROM pg_tables WHERE schemaname='public' AND tablename=%s", quoteLit(table))) == 1
}

func quoteLit(s string) string { return "'" + s + "'" }

// connectErr tries to connect through the proxy and returns the error.
func connectErr(e *env, user, token, datastore string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.url(user, token, datastore))
	if err == nil {
		c.Close(ctx)
	}
	return c, err
}

func expectFatal(t *testing.T, err error, code, msg string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code || pe.Message != msg || pe.Severity != "FATAL" {
		t.Fatalf("want FATAL %s %q, got %v", code, msg, err)
	}
}

func containsSecret(err error, secret string) bool {
	return err != nil && strings.Contains(err.Error(), secret)
}
