package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
)

type fixture struct {
	srv      *httptest.Server
	store    *approval.Store
	trail    *audit.Trail
	auditDir string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	ids, err := identity.NewStore([]config.Identity{
		{Name: "alice", Kind: "human", Groups: []string{"dba"}, Token: "alice-token"},
		{Name: "dora", Kind: "human", Groups: []string{"dba"}, Token: "dora-token"},
		{Name: "bob", Kind: "human", Groups: []string{"analysts"}, Token: "bob-token"},
		{Name: "claude@alice", Kind: "agent", Owner: "alice", Groups: []string{"agents"}, Token: "agent-token"},
		{Name: "other-agent", Kind: "agent", Owner: "bob", Token: "other-token"},
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := approval.Open(ctx, filepath.Join(t.TempDir(), "approvals.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	dir := t.TempDir()
	trail, err := audit.Open(ctx, audit.Options{Dir: dir, Origin: "test.dbward/console", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trail.Close() })
	srv := httptest.NewServer(New(Options{Identities: ids, Approvals: store, Audit: trail,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, store: store, trail: trail, auditDir: dir}
}

// call makes one API call as token and decodes the answer into out.
func (f *fixture) call(t *testing.T, method, path, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func (f *fixture) request(t *testing.T, requester approval.Person, q approval.Quorum) *approval.Request {
	t.Helper()
	r := &approval.Request{Mode: approval.Defer, Requester: requester, Datastore: "shop", Environment: "prod",
		Statement: approval.Statement{Text: "DELETE FROM orders WHERE id = $1", Params: []approval.Param{{Value: []byte("3")}}, Fingerprint: "f1", Kind: "delete"},
		Rule:      "agent_deletes_need_a_dba", Quorum: q, ExpiresAt: time.Now().Add(time.Hour)}
	if err := f.store.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

var agentP = approval.Person{Name: "claude@alice", Kind: "agent", Owner: "alice", Groups: []string{"agents"}}

type apiError struct {
	Error string `json:"error"`
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	var e apiError
	if code := f.call(t, "GET", "/api/v1/approvals", "", "", &e); code != 401 || !strings.Contains(e.Error, "DBWARD_TOKEN") {
		t.Errorf("no token: %d %q", code, e.Error)
	}
	if code := f.call(t, "GET", "/api/v1/approvals", "wrong", "", &e); code != 401 || e.Error != "the token is not valid" {
		t.Errorf("bad token: %d %q", code, e.Error)
	}
	resp, err := http.Get(f.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v, %v", resp, err)
	}
}

func TestApproveAndDeny(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, agentP, approval.Quorum{Count: 1, RequiredGroups: []string{"dba"}})
	denied := f.request(t, agentP, approval.Quorum{Count: 1})
	mine := f.request(t, approval.Person{Name: "other-agent", Kind: "agent", Owner: "bob"}, approval.Quorum{Count: 1})

	// People list everything; agents only their own.
	var list struct{ Requests []approval.Request }
	if code := f.call(t, "GET", "/api/v1/approvals?state=pending", "bob-token", "", &list); code != 200 || len(list.Requests) != 3 {
		t.Fatalf("bob lists: %d, %d requests", code, len(list.Requests))
	}
	if code := f.call(t, "GET", "/api/v1/approvals", "other-token", "", &list); code != 200 || len(list.Requests) != 1 || list.Requests[0].ID != mine.ID {
		t.Fatalf("an agent lists: %d, %+v", code, list.Requests)
	}
	var e apiError
	if code := f.call(t, "GET", "/api/v1/approvals/"+r.ID, "other-token", "", &e); code != 404 {
		t.Errorf("an agent sees another's request: %d", code)
	}
	var got approval.Request
	if code := f.call(t, "GET", "/api/v1/approvals/"+strings.ToLower(r.ID), "bob-token", "", &got); code != 200 || got.ID != r.ID || string(got.Statement.Params[0].Value) != "3" {
		t.Fatalf("show: %d %+v", code, got)
	}

	// Who may not vote, and why.
	for _, tt := range []struct {
		token string
		code  int
		msg   string
	}{
		{"agent-token", 403, "an agent never approves"},
		{"alice-token", 403, "owner does not count"},
		{"bob-token", 200, ""}, // bob approves, but is not in dba: still pending
		{"bob-token", 403, "already voted"},
	} {
		var e apiError
		code := f.call(t, "POST", "/api/v1/approvals/"+r.ID+"/approve", tt.token, `{"comment":"ok"}`, &e)
		if code != tt.code || !strings.Contains(e.Error, tt.msg) {
			t.Errorf("approve with %s: %d %q, want %d %q", tt.token, code, e.Error, tt.code, tt.msg)
		}
	}
	// (bob allowed one run, so dora's 30 minutes are narrowed to that.)
	if code := f.call(t, "POST", "/api/v1/approvals/"+r.ID+"/approve", "dora-token", `{"comment":"checked","grant":"30m"}`, &got); code != 200 || got.State != approval.Approved || !got.GrantUntil.IsZero() || got.UseBy.IsZero() {
		t.Fatalf("dora approves: %d %+v", code, got)
	}
	if code := f.call(t, "POST", "/api/v1/approvals/"+r.ID+"/deny", "alice-token", ``, &e); code != 409 {
		t.Errorf("deny after approval: %d %q", code, e.Error)
	}

	// The agent's owner may always deny; bad bodies are refused.
	for body, msg := range map[string]string{
		`{"grant":"soon"}`: "grant is a positive duration",
		`{"grant":"1h"}`:   "only for approve",
		`{"vote":"yes"}`:   "unknown field",
		`[1]`:              "not a vote",
	} {
		if code := f.call(t, "POST", "/api/v1/approvals/"+denied.ID+"/deny", "alice-token", body, &e); code != 400 || !strings.Contains(e.Error, msg) {
			t.Errorf("deny with %s: %d %q", body, code, e.Error)
		}
	}
	if code := f.call(t, "POST", "/api/v1/approvals/"+denied.ID+"/deny", "alice-token", `{"comment":"not now"}`, &got); code != 200 || got.State != approval.Denied || got.Outcome != "denied by alice: not now" {
		t.Fatalf("owner denies: %d %+v", code, got)
	}
	if code := f.call(t, "POST", "/api/v1/approvals/R-NONE/approve", "dora-token", ``, &e); code != 404 {
		t.Errorf("unknown request: %d", code)
	}
	// An agent learns nothing about which ids exist.
	if code := f.call(t, "POST", "/api/v1/approvals/R-NONE/approve", "agent-token", ``, &e); code != 403 || e.Error != "an agent never approves" {
		t.Errorf("agent votes on an unknown id: %d %q", code, e.Error)
	}

	// Every accepted vote is in the trail, durable when the call returned.
	f.trail.Close()
	var votes []string
	err := audit.Records(context.Background(), f.auditDir, 0, func(_ uint64, b []byte) error {
		var ev audit.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return err
		}
		if ev.Type == audit.TypeApprovalVote {
			votes = append(votes, ev.Identity.Name+" "+ev.Approval.Vote+" "+ev.Approval.Request+" "+ev.Approval.State+" "+ev.Approval.Grant+" "+ev.Approval.Comment)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ // (each recorded before it counted: the state it was cast in)
		"bob approve " + r.ID + " pending  ok",
		"dora approve " + r.ID + " pending 30m0s checked",
		"alice deny " + denied.ID + " pending  not now",
	}
	if strings.Join(votes, "\n") != strings.Join(want, "\n") {
		t.Errorf("vote records:\n%s\nwant\n%s", strings.Join(votes, "\n"), strings.Join(want, "\n"))
	}
}

func TestClient(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.request(t, agentP, approval.Quorum{Count: 1})
	dora := &Client{BaseURL: f.srv.URL + "/", Token: "dora-token"}
	reqs, err := dora.List(ctx, approval.Filter{State: approval.Pending, Datastore: "shop", Limit: 5})
	if err != nil || len(reqs) != 1 || reqs[0].ID != r.ID {
		t.Fatalf("List: %v, %v", reqs, err)
	}
	got, err := dora.Vote(ctx, r.ID, true, "fine", time.Hour)
	if err != nil || got.State != approval.Approved || got.GrantUntil.IsZero() {
		t.Fatalf("Vote: %+v, %v", got, err)
	}
	_, err = dora.Vote(ctx, r.ID, false, "", 0)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 409 || ae.Message != approval.ErrNotPending.Error() {
		t.Errorf("second vote: %v", err)
	}
	bad := &Client{BaseURL: f.srv.URL, Token: "nope"}
	if _, err := bad.Get(ctx, r.ID); !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("bad token: %v", err)
	}
	down := &Client{BaseURL: "http://127.0.0.1:1", Token: "x"}
	if _, err := down.List(ctx, approval.Filter{}); err == nil || !strings.Contains(err.Error(), "reaching dbward at http://127.0.0.1:1") {
		t.Errorf("server down: %v", err)
	}
}

// A vote the trail cannot take does not count.
func TestVoteNeedsTheTrail(t *testing.T) {
	f := newFixture(t)
	r := f.request(t, agentP, approval.Quorum{Count: 1})
	f.trail.Close()
	var e apiError
	if code := f.call(t, "POST", "/api/v1/approvals/"+r.ID+"/approve", "dora-token", `{}`, &e); code != 503 || !strings.Contains(e.Error, "the vote did not count") {
		t.Fatalf("vote with the trail closed: %d %q", code, e.Error)
	}
	if got, err := f.store.Get(context.Background(), r.ID); err != nil || got.State != approval.Pending || len(got.Votes) != 0 {
		t.Fatalf("the unrecorded vote counted: %+v, %v", got, err)
	}
}
