package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptStopsServers runs a test binary that starts the shared
// server and a second one, interrupts it, and checks that Run stopped both
// before the binary exited with 130.
func TestInterruptStopsServers(t *testing.T) {
	if os.Getenv("PGTEST_SIGNAL_CHILD") == "1" {
		a, b := Shared(t), start(t, Options{})
		fmt.Printf("pid=%d dir=%s\npid=%d dir=%s\nready\n", a.PID(), a.Dir, b.PID(), b.Dir)
		time.Sleep(time.Minute)
		t.Fatal("not interrupted")
	}
	if _, err := BinDir(); err != nil && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptStopsServers$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_SIGNAL_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	defer func() {
		if t.Failed() {
			t.Logf("the child's stderr:\n%s", stderr.String())
		}
	}()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	type server struct {
		pid int
		dir string
	}
	var servers []server
	lineRE := regexp.MustCompile(`^pid=(\d+) dir=(\S+)$`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "ready" {
		if m := lineRE.FindStringSubmatch(sc.Text()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			servers = append(servers, server{pid, m[2]})
		}
	}
	if len(servers) != 2 {
		t.Fatalf("the child reported %d servers, want 2", len(servers))
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // drain, so the child never blocks writing
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("interrupted child: %v, want exit status 130", err)
	}
	for _, s := range servers {
		if alive(s.pid) {
			t.Errorf("postmaster %d still runs after the interrupt", s.pid)
		}
		if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("directory %s left behind: %v", s.dir, err)
		}
	}
}

func TestSharedNeedsRun(t *testing.T) {
	sharedMu.Lock()
	inRun = false
	sharedMu.Unlock()
	defer setInRun(true)
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { recover() }()
		Shared(ft)
	}()
	if ft.msg == "" {
		t.Fatal("Shared outside Run did not fail the test")
	}
}

// fatalRecorder records Fatal instead of ending the test; it panics to
// stop the caller as Fatal would.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatal(args ...any) { f.msg = fmt.Sprint(args...); panic(f) }
func (f *fatalRecorder) Helper()           {}
