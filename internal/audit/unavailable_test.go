package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestUnavailableAndRecovery makes the journal unwritable for real and
// back: RLIMIT_FSIZE caps the size of any file this process writes, so the
// next journal write fails in the kernel with EFBIG, as it would on a full
// disk, for root too (chmod does not stop root, and the test cannot mount a
// small file system).
func TestUnavailableAndRecovery(t *testing.T) {
	dir := t.TempDir()
	tr := openTrail(t, dir)
	defer tr.Close()
	// Grow the journal beyond anything the Merkle log writes in one file,
	// so the cap stops only the journal.
	for i := range 3000 {
		if _, err := tr.Append(statementEvent("s", uint64(i+1)), i%100 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.Append(&Event{Type: TypeSessionStart}, true); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, journalDir, segName(0))
	fi, err := os.Stat(seg)
	if err != nil {
		t.Fatal(err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(fi.Size()), Max: old.Max}); err != nil {
		t.Skipf("cannot cap file sizes: %v", err)
	}
	failedSeq, err := tr.Append(&Event{Type: TypeStatement, Session: "refused", StatementSeq: 1}, true)
	if !errors.Is(err, ErrUnavailable) {
		restore()
		t.Fatalf("durable Append on a journal that cannot grow: %v, want ErrUnavailable", err)
	}
	_, err2 := tr.Append(&Event{Type: TypeStatement, Session: "refused", StatementSeq: 2}, false)
	restore()
	if !errors.Is(err2, ErrUnavailable) {
		t.Fatalf("Append while the trail is failing: %v, want ErrUnavailable", err2)
	}

	// Writing works again: the trail recovers by itself.
	deadline := time.Now().Add(10 * time.Second)
	var seq uint64
	for {
		seq, err = tr.Append(&Event{Type: TypeStatement, Session: "after"}, true)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Append after the disk recovered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if seq <= failedSeq {
		t.Errorf("record after recovery has seq %d, the failed one %d", seq, failedSeq)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	got := readEvents(t, dir)
	if ev := got[failedSeq]; ev.Session != "refused" || !ev.Delayed {
		t.Errorf("the refused durable record: %+v, want it written later, marked delayed", ev)
	}
	if got[seq].Session != "after" {
		t.Errorf("record %d: %+v", seq, got[seq])
	}
	mustVerify(t, dir)
}

func TestOpenUnwritableDirectory(t *testing.T) {
	// A file where the directory should be: fails for root too.
	path := filepath.Join(t.TempDir(), "audit")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), testOptions(path)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open on a file: %v, want ErrUnavailable", err)
	}
	// A journal directory that is a file.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, journalDir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), testOptions(dir)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open with a file as journal: %v, want ErrUnavailable", err)
	}
}
