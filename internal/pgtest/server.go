// Package pgtest starts real PostgreSQL servers for tests, benchmarks and
// the demo: initdb into a temporary directory, a random free port on
// 127.0.0.1, scram-sha-256 for TCP, and a stop by pid that never leaves a
// server behind.
//
// Authentication set up by Start (pg_hba.conf, first match wins):
//
//	local all all                       trust          (the harness itself, via the socket in Dir)
//	host  all trust_user 127.0.0.1/32   trust
//	host  all md5_user   127.0.0.1/32   md5
//	host  all all        127.0.0.1/32   scram-sha-256  (and ::1/128)
//
// The server has ssl=on with a self-signed certificate, so upstream TLS
// prefer/require can be tested, and max_connections=400.
//
// As root, initdb and postgres refuse to run: Start runs them as the
// postgres system user if there is one, else as nobody.
package pgtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Options tune Start. The zero value is a good test server.
type Options struct {
	// Settings are extra postgresql.conf lines, e.g. "work_mem = '8MB'".
	Settings []string
}

// Server is a running PostgreSQL.
type Server struct {
	Host          string // 127.0.0.1
	Port          int
	Dir           string // data directory and socket directory live under it
	SuperUser     string
	SuperPassword string

	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
}

// ErrNoPostgres is returned when no PostgreSQL server binaries are found.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, postgres) not found; run scripts/ensure-postgres.sh")

// BinDir finds the directory holding initdb and postgres: pg_config
// --bindir, then the newest /usr/lib/postgresql/*/bin, then PATH.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if hasServer(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if hasServer(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); hasServer(d) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func hasServer(dir string) bool {
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Unprivileged returns the credential to run PostgreSQL (or PgBouncer)
// with when the current user is root, and nil otherwise.
func Unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, but there is no postgres or nobody user to run PostgreSQL as")
}

// Start initialises and starts a new server. Stop it with Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := Unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dbward-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Dir: dir, SuperUser: "postgres", SuperPassword: rand.Text(), exited: make(chan struct{})}
	if err := s.start(ctx, bin, cred, opts); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) dataDir() string { return filepath.Join(s.Dir, "data") }

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential, opts Options) error {
	if cred != nil {
		if err := os.Chmod(s.Dir, 0o755); err != nil {
			return err
		}
		if err := os.Chown(s.Dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	pwFile := filepath.Join(s.Dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(s.SuperPassword+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		os.Chown(pwFile, int(cred.Uid), int(cred.Gid))
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", s.dataDir(), "-U", s.SuperUser,
		"--pwfile", pwFile, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	os.Remove(pwFile)
	port, err := FreePort()
	if err != nil {
		return err
	}
	s.Port = port
	if err := s.writeConfig(cred, opts); err != nil {
		return err
	}
	s.logPath = filepath.Join(s.Dir, "postgres.log")
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", s.dataDir())
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C meant for the test run is not also
	// delivered to the server, which Stop shuts down in order.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	return s.waitReady(ctx)
}

func (s *Server) writeConfig(cred *syscall.Credential, opts Options) error {
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", s.Port),
		fmt.Sprintf("unix_socket_directories = '%s'", s.Dir),
		"max_connections = 400",
		"shared_buffers = '64MB'",
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"password_encryption = 'scram-sha-256'",
		"ssl = on",
		"ssl_cert_file = 'server.crt'",
		"ssl_key_file = 'server.key'",
		"log_min_messages = warning",
	}
	conf = append(conf, opts.Settings...)
	f, err := os.OpenFile(filepath.Join(s.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n# pgtest\n" + strings.Join(conf, "\n") + "\n")
	f.Close()
	if err != nil {
		return err
	}
	hba := `local all all trust
host all trust_user 127.0.0.1/32 trust
host all md5_user 127.0.0.1/32 md5
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
`
	if err := os.WriteFile(filepath.Join(s.dataDir(), "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	certPEM, keyPEM, err := selfSignedPEM()
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"server.crt": certPEM, "server.key": keyPEM, "pg_hba.conf": nil} {
		p := filepath.Join(s.dataDir(), name)
		if b != nil {
			if err := os.WriteFile(p, b, 0o600); err != nil {
				return err
			}
		}
		if cred != nil {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitReady waits until the server accepts connections on its socket.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := pgconn.Connect(ctx, s.socketURL("postgres"))
		if err == nil {
			c.Close(ctx)
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited during startup:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 30s: %v\n%s", err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop shuts the server down (fast shutdown, SIGKILL after 10 s) and
// removes its directory.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	return os.RemoveAll(s.Dir)
}

// PID is the postmaster's process id (0 when not running).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Addr is the server's TCP address.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is a TCP connection URL (TLS disabled).
func (s *Server) URL(db, user, password string) string {
	u := url.URL{Scheme: "postgres", Host: s.Addr(), Path: "/" + db, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// socketURL connects as superuser through the Unix socket (trust).
func (s *Server) socketURL(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", s.Dir, s.Port, s.SuperUser, db)
}

// Exec runs sql (one or more statements) in db as the superuser.
func (s *Server) Exec(ctx context.Context, db, sql string) error {
	c, err := pgconn.Connect(ctx, s.socketURL(db))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql).ReadAll()
	return err
}

// CreateDatabase creates a database owned by the superuser.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	return s.Exec(ctx, "postgres", "CREATE DATABASE "+quoteIdent(name))
}

// CreateRole creates a login role with a password (stored as SCRAM, or md5
// for the role named md5_user) and extra attributes such as CREATEDB.
func (s *Server) CreateRole(ctx context.Context, name, password string, attrs ...string) error {
	enc := "scram-sha-256"
	if name == "md5_user" {
		enc = "md5"
	}
	sql := fmt.Sprintf("SET password_encryption = '%s'; CREATE ROLE %s LOGIN PASSWORD %s %s",
		enc, quoteIdent(name), quoteLiteral(password), strings.Join(attrs, " "))
	return s.Exec(ctx, "postgres", sql)
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
