package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options tune Start. The zero value gives the server the package
// documentation describes.
type Options struct {
	// Settings are extra postgresql.conf lines, such as "work_mem = '8MB'".
	// They come after pgtest's own settings and so override them.
	Settings []string
}

// Server is a running PostgreSQL started by Start. Its fields are set
// before Start returns and never change; Stop ends it.
type Server struct {
	Host          string // always 127.0.0.1
	Port          int    // TCP port, also the Unix socket's number
	Dir           string // temporary directory: data/ and the Unix socket; Stop removes it
	SuperUser     string // "postgres"
	SuperPassword string // random; accepted over TCP with scram-sha-256
	MD5Password   string // random password of MD5User, stored as an md5 hash
	CertFile      string // the server's self-signed certificate, PEM; its own CA
	LogFile       string // the server's log, in the data directory

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for

	stopOnce sync.Once
	stopErr  error
}

const (
	dirPrefix    = "dbward-pgtest-"
	ownerFile    = "owner.pid" // pid of the process that owns Dir; see sweep
	readyTimeout = 60 * time.Second
	maxAttempts  = 3 // postgres launches, when the port was taken meanwhile
)

// errPortInUse marks a launch that failed because another process bound
// the port first.
var errPortInUse = errors.New("port already in use")

// Start initialises a new cluster and starts PostgreSQL on it, returning
// once the server accepts connections and the MD5User and TrustUser roles
// exist. ctx bounds the startup only, not the server's life. The caller
// must call Stop; on error nothing is left running and Dir is removed.
// Without PostgreSQL binaries the error is ErrNoPostgres.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := Unprivileged()
	if err != nil {
		return nil, err
	}
	base, err := tempBase(cred)
	if err != nil {
		return nil, err
	}
	sweepOnce.Do(func() { sweep(base) })
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{
		Host:          "127.0.0.1",
		Dir:           dir,
		SuperUser:     "postgres",
		SuperPassword: rand.Text(),
		MD5Password:   rand.Text(),
	}
	if err := s.start(ctx, bin, cred, opts); err != nil {
		s.Stop()
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	register(s)
	return s, nil
}

func (s *Server) dataDir() string { return filepath.Join(s.Dir, "data") }

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential, opts Options) error {
	owner := filepath.Join(s.Dir, ownerFile)
	if err := os.WriteFile(owner, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	if err := chown(cred, s.Dir); err != nil {
		return err
	}
	if err := s.initdb(ctx, bin, cred); err != nil {
		return err
	}
	if err := s.writeConfig(cred, opts); err != nil {
		return err
	}
	s.LogFile = filepath.Join(s.dataDir(), "postgres.log")
	for attempt := 1; ; attempt++ {
		err := s.launch(ctx, bin, cred)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortInUse) || attempt == maxAttempts {
			return err
		}
	}
	return s.createRoles(ctx)
}

// initdb makes the cluster in dataDir. -A trust is replaced by
// writeConfig's pg_hba.conf; --no-sync saves a second of fsync.
func (s *Server) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	pwFile := filepath.Join(s.Dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(s.SuperPassword+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwFile)
	if err := chown(cred, pwFile); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", s.dataDir(), "-U", s.SuperUser, "--pwfile", pwFile,
		"-A", "trust", "-E", "UTF8", "--locale", "C", "--no-sync")
	cmd.Dir = s.Dir // the caller's working directory may be closed to cred's user
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// launch starts postgres on a free port and waits until it accepts
// connections. It returns an error wrapping errPortInUse when the port was
// taken before postgres bound it.
func (s *Server) launch(ctx context.Context, bin string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	if err := chown(cred, s.LogFile); err != nil {
		return err
	}
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", s.dataDir(), "-p", strconv.Itoa(port))
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group: a Ctrl-C meant for the test run is not
		// also delivered to the server, which Run stops in order.
		Setpgid: true,
		// Immediate shutdown when the test process dies without Stop (a
		// panicking test). The kernel sends it when the starting *thread*
		// ends, so the start happens on a fresh goroutine below: that one is
		// never locked to a thread that could exit early.
		Pdeathsig: syscall.SIGQUIT,
	}
	started := make(chan error, 1)
	go func() { started <- cmd.Start() }()
	if err := <-started; err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(s.exited)
	if err := s.waitReady(ctx, logStart); err != nil {
		s.halt()
		return err
	}
	return nil
}

// waitReady polls the Unix socket until a connection succeeds, the
// process exits, ctx ends or readyTimeout passes. logStart is where this
// launch's part of the log begins.
func (s *Server) waitReady(ctx context.Context, logStart int64) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		c, err := s.connectSocket(ctx, "postgres")
		if err == nil {
			c.Close(ctx)
			return nil
		}
		select {
		case <-s.exited:
			log := s.logSince(logStart)
			if bytes.Contains(log, []byte("Address already in use")) {
				return fmt.Errorf("postgres could not bind 127.0.0.1:%d: %w", s.Port, errPortInUse)
			}
			return fmt.Errorf("postgres exited during startup (%v); its log:\n%s", s.cmd.ProcessState, tail(log))
		case <-ctx.Done():
			return fmt.Errorf("waiting for postgres to start: %w; its log:\n%s", ctx.Err(), tail(s.logSince(logStart)))
		case <-time.After(15 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %v: %w; its log:\n%s", readyTimeout, err, tail(s.logSince(logStart)))
		}
	}
}

func (s *Server) logSince(offset int64) []byte {
	b, _ := os.ReadFile(s.LogFile)
	if offset > int64(len(b)) {
		return b
	}
	return b[offset:]
}

// tail is the end of a log, short enough for an error message.
func tail(log []byte) []byte {
	const max = 4000
	if len(log) > max {
		log = log[len(log)-max:]
		if i := bytes.IndexByte(log, '\n'); i >= 0 {
			log = log[i+1:]
		}
	}
	return log
}

// Stop shuts the server down and removes Dir. It signals the postmaster by
// its pid: SIGINT (fast shutdown: sessions are ended, nothing is flushed
// since durability is off anyway), SIGQUIT (immediate shutdown) if it still
// runs after 10 s, SIGKILL 5 s later; it returns after the process has
// exited. Stop is safe to call more than once and from several goroutines;
// every call returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		unregister(s)
		s.halt()
		if err := os.RemoveAll(s.Dir); err != nil {
			s.stopErr = fmt.Errorf("pgtest: removing %s: %w", s.Dir, err)
		}
	})
	return s.stopErr
}

// halt ends the running postgres, if any, and waits for it to exit.
func (s *Server) halt() {
	if s.cmd == nil {
		return
	}
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{
		{syscall.SIGINT, 10 * time.Second},
		{syscall.SIGQUIT, 5 * time.Second},
		{syscall.SIGKILL, 0},
	}
	for _, step := range steps {
		s.cmd.Process.Signal(step.sig)
		if step.wait == 0 {
			<-s.exited
			return
		}
		select {
		case <-s.exited:
			return
		case <-time.After(step.wait):
		}
	}
}

// PID is the postmaster's process id; it stays set after Stop.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}
