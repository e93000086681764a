package sink_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/audit/sink"
)

// receiver is a webhook endpoint that can be down; it keeps what it got.
type receiver struct {
	down  atomic.Bool
	mu    sync.Mutex
	got   map[string]int // event id → times received
	seqs  []uint64
	auth  string
	lines []map[string]any
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auth = req.Header.Get("Authorization")
	sc := bufio.NewScanner(req.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.lines = append(r.lines, m)
		id, _ := m["id"].(string)
		if u, ok := m["unmapped"].(map[string]any); ok {
			id, _ = u["id"].(string)
		}
		r.got[id]++
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func openTrail(t *testing.T) (*audit.Trail, string) {
	t.Helper()
	klog.SetSlogLogger(slog.New(slog.DiscardHandler))
	dir := t.TempDir()
	tr, err := audit.Open(context.Background(), audit.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, dir
}

func appendN(t *testing.T, tr *audit.Trail, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		ev := &audit.Event{Type: audit.TypeStatement, Session: "s", StatementSeq: uint64(i + 1),
			Identity:  audit.Identity{Name: "claude@alice", Kind: "agent", Owner: "alice@example.com"},
			Statement: audit.Statement{Text: "DELETE FROM orders WHERE id = $1", Kind: "delete"},
			Decision:  audit.Decision{Action: "deny", Rule: "no_unbounded_write"}}
		if _, err := tr.Append(ev, i%50 == 0); err != nil {
			t.Fatal(err)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A webhook that is down loses nothing: records wait in the trail, and
// the sink resumes from the last acknowledged one — after an outage and
// after a restart of the sink itself.
func TestWebhookDownLosesNothing(t *testing.T) {
	tr, dir := openTrail(t)
	rcv := &receiver{got: map[string]int{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		w := &sink.Webhook{Name: "siem", URL: srv.URL, Token: "t0k", Dir: dir, Batch: 64, Poll: 20 * time.Millisecond}
		go func() { w.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}

	rcv.down.Store(true)
	stop := run()
	appendN(t, tr, 0, 300) // the proxy goes on while the webhook is down
	time.Sleep(200 * time.Millisecond)
	if rcv.count() != 0 {
		t.Fatal("records delivered to a webhook that is down")
	}
	rcv.down.Store(false)
	waitFor(t, "delivery after the outage", func() bool { return rcv.count() >= 301 }) // + trail.start
	stop()

	appendN(t, tr, 300, 200) // written while no sink runs
	stop = run()
	waitFor(t, "delivery after a restart", func() bool { return rcv.count() >= 501 })
	stop()

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for id, n := range rcv.got {
		if n != 1 {
			t.Errorf("record %s delivered %d times", id, n)
		}
	}
	if rcv.auth != "Bearer t0k" {
		t.Errorf("Authorization: %q", rcv.auth)
	}
	for i, m := range rcv.lines {
		if seq, _ := m["seq"].(float64); uint64(seq) != uint64(i) {
			t.Fatalf("line %d has seq %v: out of order", i, m["seq"])
		}
	}
}

// The OCSF shape carries the class, the actor and the record itself.
func TestWebhookOCSF(t *testing.T) {
	tr, dir := openTrail(t)
	rcv := &receiver{got: map[string]int{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	appendN(t, tr, 0, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &sink.Webhook{Name: "ocsf", URL: srv.URL, Format: "ocsf", Dir: dir, Poll: 20 * time.Millisecond}
	go w.Run(ctx)
	waitFor(t, "delivery", func() bool { return rcv.count() >= 4 })
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	m := rcv.lines[1] // the first statement
	actor, _ := m["actor"].(map[string]any)
	user, _ := actor["user"].(map[string]any)
	if m["class_uid"] != float64(6005) || m["activity_id"] != float64(7) || m["action"] != "Denied" ||
		user["name"] != "claude@alice" || actor["invoked_by"] != "alice@example.com" {
		t.Fatalf("OCSF line: %v", m)
	}
	if md, _ := m["metadata"].(map[string]any); md["sequence"] != float64(1) {
		t.Fatalf("metadata: %v", m["metadata"])
	}
}
