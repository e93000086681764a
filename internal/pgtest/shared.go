package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

var (
	// live holds every started server not yet stopped, for Run to stop.
	liveMu sync.Mutex
	live   = map[*Server]struct{}{}

	// sharedMu guards the shared server, its start error, and inRun.
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
	inRun     bool
)

func register(s *Server) {
	liveMu.Lock()
	defer liveMu.Unlock()
	live[s] = struct{}{}
}

func unregister(s *Server) {
	liveMu.Lock()
	defer liveMu.Unlock()
	delete(live, s)
}

// stopAll stops every live server, concurrently.
func stopAll() {
	liveMu.Lock()
	servers := make([]*Server, 0, len(live))
	for s := range live {
		servers = append(servers, s)
	}
	liveMu.Unlock()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { s.Stop() })
	}
	wg.Wait()
}

// Shared returns the test binary's shared server, starting it on first use
// (with the zero Options). The binary's TestMain must call Run, which stops
// it; Shared fails the test otherwise. When PostgreSQL is not installed the
// test is skipped, or fails if the environment has CI=true. A failed start
// is not retried: every later call fails the same way.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !inRun {
		t.Fatal("pgtest.Shared: the test binary's TestMain must call pgtest.Run, which stops the shared server")
	}
	if shared == nil && sharedErr == nil {
		shared, sharedErr = Start(context.Background(), Options{})
	}
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrNoPostgres) && os.Getenv("CI") != "true" {
			t.Skip(sharedErr)
		}
		t.Fatal(sharedErr)
	}
	return shared
}

// Run runs the tests and then stops the shared server and every server
// that a test started and did not stop; it returns m.Run's exit code. While
// the tests run, SIGINT or SIGTERM stops those servers and exits with
// 128+signal; a Start still in progress then dies with the process (by its
// parent-death signal) and its directory is left for the next sweep. Use
// it as
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
func Run(m *testing.M) int {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigc:
			stopAll()
			fmt.Fprintf(os.Stderr, "pgtest: %v: stopped the PostgreSQL servers\n", sig)
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	setInRun(true)
	code := m.Run()
	setInRun(false)
	signal.Stop(sigc)
	close(done)
	stopAll()
	sharedMu.Lock()
	shared, sharedErr = nil, nil
	sharedMu.Unlock()
	return code
}

func setInRun(v bool) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	inRun = v
}
