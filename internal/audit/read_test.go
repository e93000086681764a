package audit

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

func TestRecordsCountAndFollow(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.SegmentBytes = 16 << 10 // follow across segment changes
	tr, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		tr.Append(statementEvent("before", uint64(i+1)), true)
	}
	n, err := Count(context.Background(), dir)
	if err != nil || n != 21 {
		t.Fatalf("Count = %d, %v; want 21", n, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []uint64
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, dir, 15, 10*time.Millisecond, func(seq uint64, js []byte) error {
			var ev Event
			if err := json.Unmarshal(js, &ev); err != nil {
				return err
			}
			mu.Lock()
			got = append(got, seq)
			mu.Unlock()
			return nil
		})
	}()
	for i := range 100 {
		tr.Append(statementEvent("after", uint64(i+1)), i%2 == 0)
	}
	tr.Append(&Event{Type: TypeSessionEnd}, true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 107 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
	closeTrail(t, tr)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 107 {
		t.Fatalf("followed %d records, want 107 (15-121)", len(got))
	}
	for i, s := range got {
		if s != uint64(15+i) {
			t.Fatalf("record %d followed as %d", 15+i, s)
		}
	}
}
