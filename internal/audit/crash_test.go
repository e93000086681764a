package audit

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "DBWARD_AUDIT_CRASH_CHILD"

// TestCrashRecovery kills a process that appends durably from many
// goroutines with SIGKILL at a random moment, several times over, and
// checks after each: every append that returned is in the trail, the trail
// verifies, and the Merkle log holds every record once.
func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes; skipped in -short")
	}
	dir := t.TempDir()
	acked := map[string]bool{} // "session/n" the child saw acknowledged
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, fmt.Sprintf("DBWARD_AUDIT_CRASH_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1<<16)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it run until it has appended a while, then kill it at a
		// random moment.
		time.Sleep(300*time.Millisecond + rand.N(700*time.Millisecond))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		n := 0
		for l := range lines {
			if strings.HasPrefix(l, "ack ") {
				acked[strings.TrimPrefix(l, "ack ")] = true
				n++
			}
		}
		cmd.Wait()
		if n == 0 {
			t.Fatalf("round %d: the child acknowledged nothing", round)
		}

		// Verify what the crash left, before any repair: the unsealed tail
		// is not an error.
		if rep, err := Verify(context.Background(), dir, VerifyOptions{}); err != nil {
			t.Fatalf("round %d: Verify after kill -9: %v (%v)", round, err, rep)
		}
		// Reopen: repair, re-feed, and close with everything fed.
		tr := openTrail(t, dir)
		closeTrail(t, tr)
		rep := mustVerify(t, dir)
		if rep.Leaves != rep.Records || rep.Tail != 0 {
			t.Fatalf("round %d: after reopen and close the log should hold every record once: %v", round, rep)
		}
		have := map[string]bool{}
		for _, ev := range readEvents(t, dir) {
			if ev.Type == TypeStatement {
				have[fmt.Sprintf("%s/%d", ev.Session, ev.StatementSeq)] = true
			}
		}
		for k := range acked {
			if !have[k] {
				t.Fatalf("round %d: acknowledged record %s is missing after the crash", round, k)
			}
		}
		t.Logf("round %d: %d acknowledged in this run, %d records in all: %v", round, n, len(have), rep)
	}
}

// crashChild appends durably from 32 goroutines until it is killed,
// printing each acknowledged record.
func crashChild(dir string) {
	opts := testOptions(dir)
	tr, err := Open(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	round := os.Getenv("DBWARD_AUDIT_CRASH_ROUND")
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	for g := range 32 {
		go func() {
			session := fmt.Sprintf("r%s-g%d", round, g)
			for n := uint64(1); ; n++ {
				if _, err := tr.Append(statementEvent(session, n), true); err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintf(w, "ack %s/%d\n", session, n)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}
