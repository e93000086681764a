package notify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/approval/notify"
	"github.com/dbward/dbward/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// receiver is a notification target. It answers each POST with the next
// of its statuses (200 once they run out) and keeps what it was sent;
// while hang is open, it answers nothing.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []post
	hang     chan struct{}
}

type post struct {
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if rc.hang != nil {
		select {
		case <-rc.hang:
		case <-r.Context().Done():
		}
	}
	rc.mu.Lock()
	rc.got = append(rc.got, post{r.Header.Clone(), body})
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
	if status == http.StatusBadRequest {
		io.WriteString(w, "invalid_payload")
	}
}

func (rc *receiver) posts() []post {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// target starts a receiver answering statuses; its URL has a path that
// is as secret as a Slack webhook's.
func target(t *testing.T, statuses ...int) (*receiver, string) {
	rc := &receiver{statuses: statuses}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL + "/services/T0/B0/SECRETPATH"
}

// logs is a logger writing into a buffer, to read once the Notifier is
// closed.
func logs() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

var (
	created = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	decided = created.Add(5 * time.Minute)
)

// request is R-7Q2K in the given state, as the store would hand it over.
func request(s approval.State) approval.Request {
	r := approval.Request{ID: "R-7Q2K", State: s, Mode: approval.Defer,
		Requester: approval.Person{Name: "claude@alice", Kind: "agent", Groups: []string{"agents"}, Owner: "alice@example.com"},
		Datastore: "shop", Environment: "prod",
		Statement: approval.Statement{Text: "DELETE FROM orders WHERE id = 3 AND note <> '<b>&amp;'", Fingerprint: "3f1c0a", Kind: "delete", Command: "DELETE"},
		Rule:      "agent_writes_need_approval", Reason: "DELETE by an AI agent in prod needs a DBA's approval",
		Intent:  map[string]string{"ticket": "OPS-12"},
		Quorum:  approval.Quorum{Count: 1, RequiredGroups: []string{"dba"}},
		Session: "s-1", Created: created, ExpiresAt: created.Add(24 * time.Hour)}
	dora := approval.Person{Name: "dora@example.com", Kind: "human", Groups: []string{"dba"}}
	switch s {
	case approval.Approved:
		r.Votes = []approval.Vote{{By: dora, Approve: true, Comment: "checked the order", At: decided}}
		r.Decided, r.UseBy = decided, decided.Add(approval.OneTimeUse)
	case approval.Denied:
		r.Votes = []approval.Vote{{By: dora, Comment: "not during the sale", At: decided}}
		r.Decided, r.Outcome = decided, "denied by dora@example.com: not during the sale"
	case approval.Expired:
		r.Decided, r.Outcome = r.ExpiresAt, "nobody decided before it expired"
	case approval.Withdrawn:
		r.Decided, r.Outcome = decided, "the client disconnected"
	case approval.Used:
		r.Votes = []approval.Vote{{By: dora, Approve: true, At: decided}}
		r.Decided, r.UseBy, r.Uses = decided, decided.Add(approval.OneTimeUse), 1
	}
	return r
}

func TestSummary(t *testing.T) {
	tests := []struct {
		state approval.State
		want  string
	}{
		{approval.Pending, "R-7Q2K: claude@alice (agent for alice@example.com) asks to run DELETE on shop (prod); needs 1 approval (dba) by 2026-11-24 12:00 UTC"},
		{approval.Approved, "R-7Q2K approved by dora@example.com: claude@alice may run it once, until 2026-11-23 13:05 UTC"},
		{approval.Denied, "R-7Q2K denied by dora@example.com: not during the sale"},
		{approval.Expired, "R-7Q2K expired: nobody decided before it expired"},
		{approval.Withdrawn, "R-7Q2K withdrawn: the client disconnected"},
		{approval.Used, "R-7Q2K used: claude@alice ran it under its one-time grant"},
	}
	for _, tt := range tests {
		r := request(tt.state)
		if got := notify.Summary(&r); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.state, got, tt.want)
		}
	}
	r := request(approval.Approved)
	r.Votes = append(r.Votes, approval.Vote{By: approval.Person{Name: "sam@example.com"}, Approve: true, Grant: time.Hour})
	r.UseBy, r.GrantUntil = time.Time{}, decided.Add(time.Hour)
	if got, want := notify.Summary(&r), "R-7Q2K approved by dora@example.com, sam@example.com: claude@alice may run it until 2026-11-23 13:05 UTC"; got != want {
		t.Errorf("a grant with a window:\n got %s\nwant %s", got, want)
	}
}

// The events are those the config lets approvals.notify[].events name.
func TestEventsAreTheConfigs(t *testing.T) {
	var got []string
	for _, s := range []approval.State{approval.Pending, approval.Approved, approval.Denied, approval.Expired, approval.Withdrawn, approval.Used} {
		got = append(got, notify.Event(s))
	}
	if !slices.Equal(got, config.NotifyEvents) {
		t.Errorf("events %v, config.NotifyEvents %v", got, config.NotifyEvents)
	}
}

// Each format's message, as a target receives it, against its golden
// file in testdata (run with -update after a deliberate change).
func TestMessages(t *testing.T) {
	tests := []struct {
		golden, format string
		state          approval.State
		token          string
	}{
		{"json_created.json", "json", approval.Pending, "SECRETTOKEN"},
		{"json_denied.json", "json", approval.Denied, ""},
		{"slack_created.json", "slack", approval.Pending, ""},
		{"slack_approved.json", "slack", approval.Approved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			rc, url := target(t)
			n := notify.New(notify.Options{Link: "https://dbward.example.com/",
				Targets: []notify.Target{{Name: "x", URL: url, Format: tt.format, Token: tt.token, Events: []string{"created", "approved", "denied"}}}})
			n.Notify(request(tt.state))
			n.Close()
			got := rc.posts()
			if len(got) != 1 {
				t.Fatalf("%d posts, want 1", len(got))
			}
			h := got[0].header
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			wantAuth := ""
			if tt.token != "" {
				wantAuth = "Bearer " + tt.token
			}
			if a := h.Get("Authorization"); a != wantAuth {
				t.Errorf("Authorization %q, want %q", a, wantAuth)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, got[0].body, "", "  "); err != nil {
				t.Fatalf("not JSON: %v: %s", err, got[0].body)
			}
			indented.WriteByte('\n')
			golden(t, tt.golden, indented.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if intended):\n got %s\nwant %s", path, got, want)
	}
}

// A JSON message carries the request as the HTTP API shows it.
func TestJSONMessageCarriesTheRequest(t *testing.T) {
	rc, url := target(t)
	n := notify.New(notify.Options{Targets: []notify.Target{{Name: "bot", URL: url}}})
	want := request(approval.Pending)
	n.Notify(want)
	n.Close()
	var m struct {
		Event   string           `json:"event"`
		Request approval.Request `json:"request"`
		URL     *string          `json:"url"`
	}
	if err := json.Unmarshal(rc.posts()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	wantDoc, _ := json.Marshal(want)
	gotDoc, _ := json.Marshal(m.Request)
	if m.Event != "approval.created" || !bytes.Equal(gotDoc, wantDoc) {
		t.Errorf("event %q, request %s\nwant approval.created, %s", m.Event, gotDoc, wantDoc)
	}
	if m.URL != nil {
		t.Errorf("url %q without Options.Link", *m.URL)
	}
}

// A target hears of the events it asked for, in order; by default, of new
// requests alone.
func TestEvents(t *testing.T) {
	def, defURL := target(t)
	decisions, decisionsURL := target(t)
	n := notify.New(notify.Options{Targets: []notify.Target{
		{Name: "default", URL: defURL},
		{Name: "decisions", URL: decisionsURL, Format: "slack", Events: []string{"approved", "denied", "expired"}},
	}})
	for _, s := range []approval.State{approval.Pending, approval.Denied, approval.Withdrawn, approval.Approved, approval.Used} {
		n.Notify(request(s))
	}
	n.Close()
	texts := func(rc *receiver) (got []string) {
		for _, p := range rc.posts() {
			var m struct{ Summary, Text string }
			json.Unmarshal(p.body, &m)
			got = append(got, strings.Fields(m.Summary + m.Text)[1])
		}
		return got
	}
	if got := texts(def); !slices.Equal(got, []string{"claude@alice"}) {
		t.Errorf("default target got %v, want the new request alone", got)
	}
	if got := texts(decisions); !slices.Equal(got, []string{"denied", "approved"}) {
		t.Errorf("decisions target got %v, want denied, approved", got)
	}
}

// Failures that may pass are retried with backoff; others are not; a
// message that cannot be delivered is logged, without the target's URL or
// token.
func TestDelivery(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		down     bool
		posts    int
		log      string // in the log; "" for nothing logged
	}{
		{"delivered", nil, false, 1, ""},
		{"500 then 503, then delivered", []int{500, 503}, false, 3, ""},
		{"429 then delivered", []int{429}, false, 2, ""},
		{"500 five times: given up", []int{500, 500, 500, 500, 500, 500}, false, 5, `attempts=5 err="the target answered 500 Internal Server Error"`},
		{"400: given up at once", []int{400}, false, 1, `attempts=1 err="the target answered 400 Bad Request: \"invalid_payload\""`},
		{"down: given up", nil, true, 0, `attempts=5 err="dial tcp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, url := target(t, tt.statuses...)
			if tt.down {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close()
				url = srv.URL + "/services/T0/B0/SECRETPATH"
			}
			log, buf := logs()
			n := notify.New(notify.Options{Logger: log, Backoff: time.Millisecond,
				Targets: []notify.Target{{Name: "ops", URL: url, Token: "SECRETTOKEN"}}})
			n.Notify(request(approval.Pending))
			n.Close()
			if got := len(rc.posts()); got != tt.posts {
				t.Errorf("%d posts, want %d", got, tt.posts)
			}
			if tt.log == "" {
				if buf.Len() > 0 {
					t.Errorf("logged %s", buf)
				}
				return
			}
			checkLog(t, buf, `msg="approval notification not delivered" target=ops request=R-7Q2K event=created`, tt.log)
		})
	}
}

// Notify never waits for a target: one that hangs fills its queue, the
// oldest messages are dropped, and Close gives up on it after its grace.
func TestHangingTarget(t *testing.T) {
	rc, url := target(t)
	rc.hang = make(chan struct{})
	defer close(rc.hang)
	log, buf := logs()
	n := notify.New(notify.Options{Logger: log, Queue: 2, Targets: []notify.Target{{Name: "slow", URL: url}}})
	start := time.Now()
	for range 10 {
		n.Notify(request(approval.Pending))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify took %v with a hanging target", d)
	}
	start = time.Now()
	n.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	checkLog(t, buf, "queue is full; dropped the oldest message", "not delivered", "target=slow")
}

// checkLog checks that the log says each of want, and never the target's
// URL or token.
func checkLog(t *testing.T, log *bytes.Buffer, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(log.String(), w) {
			t.Errorf("the log lacks %s: %s", w, log)
		}
	}
	if strings.Contains(log.String(), "SECRET") {
		t.Errorf("the URL or the token is in the log: %s", log)
	}
}

// Nothing is queued after Close.
func TestNotifyAfterClose(t *testing.T) {
	rc, url := target(t)
	n := notify.New(notify.Options{Targets: []notify.Target{{Name: "x", URL: url}}})
	n.Close()
	n.Notify(request(approval.Pending))
	n.Close() // twice is fine
	if got := len(rc.posts()); got != 0 {
		t.Errorf("%d posts after Close", got)
	}
}
