package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestSweep(t *testing.T) {
	base := t.TempDir()
	tests := []struct {
		name      string
		owner     string // ownerFile's content; "-" for no file
		wantSwept bool
	}{
		{"owner alive", strconv.Itoa(os.Getpid()), false},
		{"owner dead", strconv.Itoa(deadPID(t)), true},
		{"no owner file", "-", false},
		{"owner not a pid", "garbage", false},
		{"owner zero", "0", false},
	}
	for i, tt := range tests {
		dir := filepath.Join(base, fmt.Sprintf("%s%d", dirPrefix, i))
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if tt.owner != "-" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(tt.owner+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := filepath.Join(base, "not-pgtest")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	sweep(base)
	for i, tt := range tests {
		_, err := os.Stat(filepath.Join(base, fmt.Sprintf("%s%d", dirPrefix, i)))
		if swept := errors.Is(err, os.ErrNotExist); swept != tt.wantSwept {
			t.Errorf("%s: swept = %v, want %v", tt.name, swept, tt.wantSwept)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("sweep touched a directory that is not pgtest's: %v", err)
	}
}

// TestPanicLeavesNoServer runs a test binary that starts a server and
// panics, then checks that the server died with it and that the next sweep
// removes its directory.
func TestPanicLeavesNoServer(t *testing.T) {
	if os.Getenv("PGTEST_PANIC_CHILD") == "1" {
		s, err := Start(t.Context(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("pid=%d dir=%s\n", s.PID(), s.Dir)
		panic("deliberate panic while a server runs")
	}
	if _, err := BinDir(); err != nil && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicLeavesNoServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the panicking child exited 0:\n%s", out)
	}
	m := regexp.MustCompile(`pid=(\d+) dir=(\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the child did not start a server:\n%s", out)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	dir := string(m[2])
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still runs 10 s after its test process panicked", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("expected the crashed run's directory to remain until a sweep: %v", err)
	}
	sweep(filepath.Dir(dir))
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sweep left %s behind: %v", dir, err)
	}
}

func TestSweepKillsAnOrphanedPostmaster(t *testing.T) {
	// A postmaster whose parent-death signal was lost: simulated by a
	// process that is not our child, started on the data directory's path.
	base := t.TempDir()
	dir := filepath.Join(base, dirPrefix+"orphan")
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	// The shell carries the data directory on its command line, as a
	// postmaster does; the second command keeps it from exec'ing sleep.
	orphan := exec.Command("sh", "-c", "sleep 60; : \"$0\"", data)
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { orphan.Wait(); close(exited) }()
	defer orphan.Process.Kill()
	files := map[string]int{ownerFile: deadPID(t), filepath.Join("data", "postmaster.pid"): orphan.Process.Pid}
	for name, pid := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sweep(base)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("sweep did not kill the orphaned postmaster")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sweep left %s behind: %v", dir, err)
	}
}
