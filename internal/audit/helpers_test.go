package audit

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

func TestMain(m *testing.M) {
	// tessera logs through klog; keep test output to the tests.
	klog.SetSlogLogger(quietLogger())
	os.Exit(m.Run())
}

// testOptions opens trails quickly and quietly.
func testOptions(dir string) Options {
	return Options{Dir: dir, Logger: quietLogger(), CheckpointInterval: 100 * time.Millisecond, Origin: "test.dbward/audit"}
}

func openTrail(t testing.TB, dir string) *Trail {
	t.Helper()
	tr, err := Open(context.Background(), testOptions(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return tr
}

func closeTrail(t testing.TB, tr *Trail) {
	t.Helper()
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// readEvents returns the sealed records of the trail in dir by sequence
// number.
func readEvents(t testing.TB, dir string) map[uint64]Event {
	t.Helper()
	out := map[uint64]Event{}
	var next uint64
	err := Records(context.Background(), dir, 0, func(seq uint64, js []byte) error {
		if seq != next {
			return errors.New("records out of order")
		}
		next++
		var ev Event
		if err := json.Unmarshal(js, &ev); err != nil {
			return err
		}
		out[seq] = ev
		return nil
	})
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	return out
}

// mustVerify fails the test unless the trail in dir verifies.
func mustVerify(t testing.TB, dir string) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), dir, VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v (%v)", err, rep)
	}
	return rep
}
