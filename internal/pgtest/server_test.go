package pgtest

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// start is Start for a test: skipped without PostgreSQL (outside CI),
// stopped at the end of the test.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	began := time.Now()
	s, err := Start(t.Context(), opts)
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// withSSL returns rawURL with sslmode (and sslrootcert) replaced.
func withSSL(t *testing.T, rawURL, mode, rootCert string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("sslmode", mode)
	if rootCert != "" {
		q.Set("sslrootcert", rootCert)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func TestAuthentication(t *testing.T) {
	s := Shared(t)
	ctx := t.Context()
	if err := s.CreateRole(ctx, "auth_scram", "scram-secret"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		url      string
		wantUser string // "" means the login must fail with 28P01
		wantTLS  bool
	}{
		{"superuser scram", s.URL("postgres", s.SuperUser, s.SuperPassword), s.SuperUser, false},
		{"superuser wrong password", s.URL("postgres", s.SuperUser, "wrong"), "", false},
		{"role scram", s.URL("postgres", "auth_scram", "scram-secret"), "auth_scram", false},
		{"role scram wrong password", s.URL("postgres", "auth_scram", "wrong"), "", false},
		{"unknown role", s.URL("postgres", "nobody_here", "x"), "", false},
		{"md5", s.URL("postgres", MD5User, s.MD5Password), MD5User, false},
		{"md5 wrong password", s.URL("postgres", MD5User, "wrong"), "", false},
		{"trust without password", s.URL("postgres", TrustUser, ""), TrustUser, false},
		{"trust ignores a password", s.URL("postgres", TrustUser, "anything"), TrustUser, false},
		{"tls require", withSSL(t, s.URL("postgres", "auth_scram", "scram-secret"), "require", ""), "auth_scram", true},
		{"tls verify-full", withSSL(t, s.URL("postgres", MD5User, s.MD5Password), "verify-full", s.CertFile), MD5User, true},
		{"tls prefer", withSSL(t, s.URL("postgres", TrustUser, ""), "prefer", ""), TrustUser, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := pgx.Connect(ctx, tt.url)
			if tt.wantUser == "" {
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
					t.Fatalf("connect: err = %v, want SQLSTATE 28P01", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer conn.Close(ctx)
			var user string
			var ssl bool
			err = conn.QueryRow(ctx, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&user, &ssl)
			if err != nil {
				t.Fatal(err)
			}
			if user != tt.wantUser || ssl != tt.wantTLS {
				t.Errorf("current_user, ssl = %q, %v; want %q, %v", user, ssl, tt.wantUser, tt.wantTLS)
			}
		})
	}
}

// TestHBARules checks that the server read pg_hba.conf as documented, in
// order: the first matching line wins.
func TestHBARules(t *testing.T) {
	s := Shared(t)
	conn, err := pgx.Connect(t.Context(), s.URL("postgres", s.SuperUser, s.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `
SELECT type, array_to_string(user_name, ','), coalesce(address, ''), auth_method, coalesce(error, '')
FROM pg_hba_file_rules ORDER BY line_number`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var typ, users, addr, method, ruleErr string
		if err := rows.Scan(&typ, &users, &addr, &method, &ruleErr); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSpace(strings.Join([]string{typ, users, addr, method, ruleErr}, " ")))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"local all  trust",
		"host trust_user 127.0.0.1 trust",
		"host md5_user 127.0.0.1 md5",
		"host all 127.0.0.1 scram-sha-256",
		"host all ::1 scram-sha-256",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pg_hba_file_rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPasswordStorage checks how each role's password is hashed: md5 can
// only check an md5 hash, and CreateRole must store SCRAM verifiers.
func TestPasswordStorage(t *testing.T) {
	s := Shared(t)
	ctx := t.Context()
	if err := s.CreateRole(ctx, "stored_scram", "pw", "CREATEDB", "CONNECTION LIMIT 5"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres", s.SuperUser, s.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tests := []struct {
		role, wantPrefix string
		wantCreateDB     bool
	}{
		{s.SuperUser, "SCRAM-SHA-256$", true},
		{"stored_scram", "SCRAM-SHA-256$", true},
		{MD5User, "md5", false},
		{TrustUser, "", false},
	}
	for _, tt := range tests {
		var hash string
		var createDB bool
		err := conn.QueryRow(ctx, "SELECT coalesce(rolpassword, ''), rolcreatedb FROM pg_authid WHERE rolname = $1", tt.role).Scan(&hash, &createDB)
		if err != nil {
			t.Fatalf("%s: %v", tt.role, err)
		}
		if !strings.HasPrefix(hash, tt.wantPrefix) || (tt.wantPrefix == "") != (hash == "") {
			t.Errorf("%s: password stored as %.20q..., want prefix %q", tt.role, hash, tt.wantPrefix)
		}
		if createDB != tt.wantCreateDB {
			t.Errorf("%s: rolcreatedb = %v, want %v", tt.role, createDB, tt.wantCreateDB)
		}
	}
}

func TestCreateRoleRefusesNonKeywordAttributes(t *testing.T) {
	s := &Server{} // not started: the attribute is refused before connecting
	for _, attr := range []string{"LOGIN; DROP DATABASE postgres", "PASSWORD 'x'", "", "5"} {
		if err := s.CreateRole(t.Context(), "r", "pw", attr); err == nil || !strings.Contains(err.Error(), "role attribute") {
			t.Errorf("attribute %q: err = %v, want it refused", attr, err)
		}
	}
}

func TestExecReportsServerErrors(t *testing.T) {
	s := Shared(t)
	ctx := t.Context()
	if err := s.CreateDatabase(ctx, "exec_errors"); err != nil {
		t.Fatal(err)
	}
	err := s.CreateDatabase(ctx, "exec_errors")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P04" {
		t.Fatalf("second CREATE DATABASE: err = %v, want SQLSTATE 42P04 (duplicate_database)", err)
	}
	err = s.Exec(ctx, "no_such_db", "SELECT 1")
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		t.Fatalf("Exec in a missing database: err = %v, want SQLSTATE 3D000", err)
	}
}

// TestStopEndsTheServer runs two servers at once, stops one, and checks
// that its process, port and directory are gone while the other still
// serves.
func TestStopEndsTheServer(t *testing.T) {
	s := start(t, Options{})
	other := Shared(t)
	if s.Port == other.Port || s.Dir == other.Dir {
		t.Fatalf("two servers share port %d or directory %s", s.Port, s.Dir)
	}
	ctx := t.Context()
	if err := s.CreateDatabase(ctx, "only_in_s"); err != nil {
		t.Fatal(err)
	}
	if err := other.Exec(ctx, "only_in_s", "SELECT 1"); err == nil {
		t.Fatal("a database made in one server exists in the other")
	}
	pid := s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("postmaster %d still runs after Stop", pid)
	}
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", s.Addr())
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s left behind: %v", s.Dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := other.Exec(ctx, "postgres", "SELECT 1"); err != nil {
		t.Errorf("the other server after Stop: %v", err)
	}
}

// TestRunsUnprivileged checks that the server runs as a user other than
// root when the tests run as root, and as the current user otherwise.
func TestRunsUnprivileged(t *testing.T) {
	s := Shared(t)
	status, err := os.ReadFile("/proc/" + strconv.Itoa(s.PID()) + "/status")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	var uid int = -1
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Uid:" {
			uid, _ = strconv.Atoi(f[1])
		}
	}
	want := os.Geteuid()
	if want == 0 {
		cred, err := Unprivileged()
		if err != nil {
			t.Fatal(err)
		}
		want = int(cred.Uid)
	}
	if uid != want || uid == 0 {
		t.Errorf("postgres runs as uid %d, want %d (never 0)", uid, want)
	}
}

func TestStartFailureShowsTheLog(t *testing.T) {
	if _, err := BinDir(); err != nil && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	began := time.Now()
	_, err := Start(t.Context(), Options{Settings: []string{"shared_buffers = 'plenty'"}})
	if err == nil {
		t.Fatal("Start succeeded with an invalid setting")
	}
	if !strings.Contains(err.Error(), `invalid value for parameter "shared_buffers"`) {
		t.Errorf("error does not hold the server's log:\n%v", err)
	}
	if time.Since(began) > 20*time.Second {
		t.Errorf("Start took %v to report a server that exited at once", time.Since(began))
	}
}

// TestPortClashIsRetried takes the port Start is about to use, as another
// test binary could between FreePort and postgres binding it.
func TestPortClashIsRetried(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	calls := 0
	freePort = func() (int, error) {
		calls++
		if calls == 1 {
			return takenPort, nil
		}
		return FreePort()
	}
	defer func() { freePort = FreePort }()
	s := start(t, Options{})
	if s.Port == takenPort || calls != 2 {
		t.Fatalf("port %d after %d attempts; want a new port on the second attempt (taken: %d)", s.Port, calls, takenPort)
	}
	if err := s.Exec(t.Context(), "postgres", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkStartStop(b *testing.B) {
	if _, err := BinDir(); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		s, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}
