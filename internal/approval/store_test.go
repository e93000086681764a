package approval

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openStore(t *testing.T, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if c != nil {
		s.now = c.now
	}
	return s
}

var (
	agent = Person{Name: "claude@alice", Kind: "agent", Owner: "alice", Groups: []string{"agents"}}
	bob   = Person{Name: "bob", Kind: "human", Groups: []string{"dba"}}
	sue   = Person{Name: "sue", Kind: "human", Groups: []string{"security"}}
	del   = Statement{Text: "DELETE FROM orders WHERE id = $1", Params: []Param{{Value: []byte("42")}}, Fingerprint: "a0ead580058af585", Kind: "delete", Command: "DELETE"}
)

// storeWithRequest opens a store on a clock at noon and creates one pending
// request (quorum: one approval) in it.
func storeWithRequest(t *testing.T) (*Store, *clock, *Request) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), c)
	r := newRequest(c, Quorum{Count: 1})
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return s, c, r
}

func newRequest(c *clock, q Quorum) *Request {
	return &Request{Mode: Defer, Requester: agent, Datastore: "shop", Environment: "prod", Statement: del,
		Rule: "agent_writes_need_approval", Reason: "agents' writes in prod need a DBA", Quorum: q,
		Intent: map[string]string{"ticket": "OPS-42"}, ExpiresAt: c.now().Add(time.Hour)}
}

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "approvals.sqlite")
	s := openStore(t, path, c)

	r := newRequest(c, Quorum{Count: 2, RequiredGroups: []string{"dba", "security"}})
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if len(r.ID) != 6 || r.ID[:2] != "R-" || r.State != Pending {
		t.Fatalf("created %q in state %s", r.ID, r.State)
	}

	// Who may not vote.
	for _, v := range []struct {
		p    Person
		want error
	}{{agent, ErrAgent}, {Person{Name: "alice", Kind: "human"}, ErrOwner}, {Person{Name: "gpt", Kind: "agent"}, ErrAgent}} {
		if _, err := s.Vote(ctx, r.ID, v.p, true, "", 0); !errors.Is(err, v.want) {
			t.Errorf("vote by %s: %v, want %v", v.p.Name, err, v.want)
		}
	}

	got, err := s.Vote(ctx, r.ID, bob, true, "looks right", 0)
	if err != nil || got.State != Pending {
		t.Fatalf("after one approval: %v, %v", got.State, err)
	}
	if _, err := s.Vote(ctx, r.ID, bob, true, "", 0); !errors.Is(err, ErrVoted) {
		t.Errorf("second vote by bob: %v", err)
	}

	// A restart keeps the request and its vote.
	s.Close()
	s = openStore(t, path, c)
	got, err = s.Get(ctx, r.ID)
	if err != nil || got.State != Pending || len(got.Votes) != 1 || got.Votes[0].Comment != "looks right" || got.Intent["ticket"] != "OPS-42" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	if got.Statement.Digest() != del.Digest() {
		t.Error("the statement's parameters did not survive")
	}

	// The statement does not run before the quorum.
	if _, err := s.Redeem(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("redeem before approval: %v", err)
	}
	got, err = s.Vote(ctx, r.ID, sue, true, "", 0)
	if err != nil || got.State != Approved {
		t.Fatalf("after dba and security: %v, %v", got.State, err)
	}
	if _, err := s.Vote(ctx, r.ID, Person{Name: "zed", Kind: "human"}, false, "", 0); !errors.Is(err, ErrNotPending) {
		t.Errorf("vote after approval: %v", err)
	}

	// Other statements, identities and datastores do not match the grant.
	other := del
	other.Params = []Param{{Value: []byte("43")}}
	for _, tt := range []struct {
		who, ds string
		st      Statement
	}{{agent.Name, "shop", other}, {"claude@bob", "shop", del}, {agent.Name, "billing", del}} {
		if _, err := s.Redeem(ctx, tt.who, tt.ds, tt.st); !errors.Is(err, ErrNoGrant) {
			t.Errorf("redeem by %s on %s of %v: %v", tt.who, tt.ds, tt.st.Params, err)
		}
	}
	// Once, then never again.
	used, err := s.Redeem(ctx, agent.Name, "shop", del)
	if err != nil || used.ID != r.ID || used.State != Used || used.Uses != 1 {
		t.Fatalf("redeem: %+v, %v", used, err)
	}
	if _, err := s.Redeem(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNoGrant) {
		t.Errorf("second redeem of a one-time grant: %v", err)
	}
}

func TestStoreDenyExpireWithdraw(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), c)

	denied := newRequest(c, Quorum{Count: 2})
	expiring := newRequest(c, Quorum{Count: 1})
	expiring.ExpiresAt = c.now().Add(time.Minute)
	withdrawn := newRequest(c, Quorum{Count: 1})
	for _, r := range []*Request{denied, expiring, withdrawn} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	s.Vote(ctx, denied.ID, bob, true, "", 0)
	got, err := s.Vote(ctx, denied.ID, sue, false, "touches live orders", 0)
	if err != nil || got.State != Denied || got.Outcome != "denied by sue: touches live orders" {
		t.Fatalf("deny: %+v, %v", got, err)
	}

	if err := s.Withdraw(ctx, withdrawn.ID, "the client cancelled"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, withdrawn.ID); got.State != Withdrawn || got.Outcome != "the client cancelled" {
		t.Errorf("withdrawn: %+v", got)
	}
	if err := s.Withdraw(ctx, denied.ID, "late cancel"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, denied.ID); got.State != Denied {
		t.Errorf("withdrawing a decided request changed it to %s", got.State)
	}

	c.add(2 * time.Minute)
	ids, err := s.ExpireDue(ctx)
	if err != nil || len(ids) != 1 || ids[0] != expiring.ID {
		t.Fatalf("ExpireDue = %v, %v", ids, err)
	}
	if _, err := s.Vote(ctx, expiring.ID, bob, true, "", 0); !errors.Is(err, ErrNotPending) {
		t.Errorf("vote on an expired request: %v", err)
	}
	pending, err := s.List(ctx, Filter{State: Pending})
	if err != nil || len(pending) != 0 {
		t.Errorf("pending after all ended: %d, %v", len(pending), err)
	}
	all, err := s.List(ctx, Filter{Requester: agent.Name})
	if err != nil || len(all) != 3 {
		t.Errorf("List by requester: %d, %v", len(all), err)
	}
	if _, err := s.Get(ctx, "R-NONE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an unknown id: %v", err)
	}
}

func TestStoreGrantWindow(t *testing.T) {
	ctx := context.Background()
	s, c, r := storeWithRequest(t)
	if got, err := s.Vote(ctx, r.ID, bob, true, "", 10*time.Minute); err != nil || got.State != Approved {
		t.Fatalf("approve with a window: %v, %v", got, err)
	}
	for i := 1; i <= 3; i++ {
		got, err := s.Redeem(ctx, agent.Name, "shop", del)
		if err != nil || got.Uses != i || got.State != Approved {
			t.Fatalf("run %d in the window: %+v, %v", i, got, err)
		}
		c.add(time.Minute)
	}
	c.add(10 * time.Minute)
	if _, err := s.Redeem(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("run after the window: %v", err)
	}
	if got, _ := s.Get(ctx, r.ID); got.State != Expired {
		t.Errorf("a closed window leaves the request %s", got.State)
	}
}

// A run that did not happen after all (its audit record failed) gives its
// grant back.
func TestStoreRelease(t *testing.T) {
	ctx := context.Background()
	s, c, r := storeWithRequest(t)
	if _, err := s.Vote(ctx, r.ID, bob, true, "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, agent.Name, "shop", del); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, strings.ToLower(r.ID)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Redeem(ctx, agent.Name, "shop", del); err != nil || got.State != Used || got.Uses != 1 {
		t.Fatalf("the released one-time grant: %+v, %v", got, err)
	}
	// Nothing to give back: no change.
	other := newRequest(c, Quorum{Count: 1})
	if err := s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, other.ID); got.State != Pending || got.Uses != 0 {
		t.Errorf("releasing a pending request: %s, %d uses", got.State, got.Uses)
	}
}

func TestStoreRedeemRequest(t *testing.T) {
	ctx := context.Background()
	s, c, r := storeWithRequest(t)
	other := newRequest(c, Quorum{Count: 1})
	if err := s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{r.ID, other.ID} {
		if _, err := s.Vote(ctx, id, bob, true, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	// Only the named request's grant is used, and only by its requester,
	// for its statement, on its datastore.
	changed := del
	changed.Params = []Param{{Value: []byte("43")}}
	for _, bad := range []struct {
		who, ds string
		st      Statement
	}{{bob.Name, "shop", del}, {agent.Name, "crm", del}, {agent.Name, "shop", changed}} {
		if _, err := s.RedeemRequest(ctx, strings.ToLower(other.ID), bad.who, bad.ds, bad.st); !errors.Is(err, ErrNoGrant) {
			t.Errorf("redeem by %s on %s of %v: %v", bad.who, bad.ds, bad.st.Params, err)
		}
	}
	if got, err := s.RedeemRequest(ctx, strings.ToLower(other.ID), agent.Name, "shop", del); err != nil || got.ID != other.ID || got.State != Used {
		t.Fatalf("redeem the named request: %+v, %v", got, err)
	}
	if got, _ := s.Get(ctx, r.ID); got.State != Approved {
		t.Errorf("redeeming %s used %s too: %s", other.ID, r.ID, got.State)
	}
	if _, err := s.RedeemRequest(ctx, other.ID, agent.Name, "shop", del); !errors.Is(err, ErrNoGrant) {
		t.Errorf("a one-time grant redeemed twice: %v", err)
	}
}

func TestStoreOneTimeGrantRaces(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), nil)
	r := newRequest(&clock{t: time.Now()}, Quorum{Count: 1})
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Vote(ctx, r.ID, bob, true, "", 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs := 0
	for range 8 {
		wg.Go(func() {
			if _, err := s.Redeem(ctx, agent.Name, "shop", del); err == nil {
				mu.Lock()
				runs++
				mu.Unlock()
			} else if !errors.Is(err, ErrNoGrant) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if runs != 1 {
		t.Errorf("a one-time grant ran %d times", runs)
	}
}

func TestStoreWait(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), nil)

	approved := newRequest(&clock{t: time.Now()}, Quorum{Count: 1})
	expiring := newRequest(&clock{t: time.Now()}, Quorum{Count: 1})
	expiring.ExpiresAt = time.Now().Add(200 * time.Millisecond)
	cancelled := newRequest(&clock{t: time.Now()}, Quorum{Count: 1})
	for _, r := range []*Request{approved, expiring, cancelled} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	done := make(chan *Request)
	go func() {
		r, err := s.Wait(ctx, approved.ID)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := s.Vote(ctx, approved.ID, bob, true, "", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.State != Approved {
			t.Errorf("Wait returned %s", r.State)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the approval")
	}

	r, err := s.Wait(ctx, expiring.ID)
	if err != nil || r.State != Expired {
		t.Errorf("Wait on an expiring request: %v, %v", r.State, err)
	}

	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Wait(cctx, cancelled.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with a cancelled context: %v", err)
	}
	s.mu.Lock()
	left := len(s.waiters)
	s.mu.Unlock()
	if left != 0 {
		t.Errorf("%d waiter lists left behind", left)
	}
}

func TestStoreIDsAsPeopleTypeThem(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), nil)
	r := newRequest(&clock{t: time.Now()}, Quorum{Count: 1})
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	typed := " " + strings.ToLower(r.ID) + "\n"
	done := make(chan State, 1)
	go func() {
		got, err := s.Wait(ctx, typed)
		if err != nil {
			t.Error(err)
		}
		done <- got.State
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := s.Vote(ctx, strings.ToLower(r.ID), bob, true, "", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-done:
		if st != Approved {
			t.Errorf("Wait returned %s", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a wait on a lower-case id missed the approval")
	}
}

func TestStoreGrantsLapse(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), c)

	// A one-time grant left unused lapses: approval was of the data as it
	// was then.
	once := newRequest(c, Quorum{Count: 1})
	// What a caller puts in a new request's grant fields is ignored.
	once.GrantUntil, once.Uses, once.State = c.now().Add(1000*time.Hour), 7, Approved
	if err := s.Create(ctx, once); err != nil {
		t.Fatal(err)
	}
	if once.State != Pending || !once.GrantUntil.IsZero() || once.Uses != 0 {
		t.Fatalf("Create kept %s, %v, %d", once.State, once.GrantUntil, once.Uses)
	}
	got, err := s.Vote(ctx, once.ID, bob, true, "", 0)
	if err != nil || got.State != Approved || !got.GrantUntil.IsZero() || !got.UseBy.Equal(c.now().Add(OneTimeUse)) {
		t.Fatalf("approve once: %+v, %v", got, err)
	}
	c.add(OneTimeUse + time.Second)
	if _, err := s.Redeem(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("a one-time grant ran after it lapsed: %v", err)
	}
	if got, _ := s.Get(ctx, once.ID); got.State != Expired {
		t.Errorf("a lapsed one-time grant is %s", got.State)
	}

	// The narrowest window any approver allowed wins; one approver
	// allowing none makes it one run.
	for _, tt := range []struct {
		grants []time.Duration
		window time.Duration
	}{
		{[]time.Duration{time.Hour, 10 * time.Minute}, 10 * time.Minute},
		{[]time.Duration{0, 24 * time.Hour}, 0},
		{[]time.Duration{24 * time.Hour, 0}, 0},
	} {
		r := newRequest(c, Quorum{Count: 2})
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		s.Vote(ctx, r.ID, bob, true, "", tt.grants[0])
		got, err := s.Vote(ctx, r.ID, sue, true, "", tt.grants[1])
		if err != nil || got.State != Approved {
			t.Fatalf("%v: %v, %v", tt.grants, got, err)
		}
		if w := got.GrantUntil.Sub(got.Decided); tt.window > 0 && w != tt.window || tt.window == 0 && !got.GrantUntil.IsZero() {
			t.Errorf("grants %v gave the window until %v (decided %v), want %v", tt.grants, got.GrantUntil, got.Decided, tt.window)
		}
	}

	// ExpireDue closes grants as well as pending requests.
	c.add(25 * time.Hour)
	ids, err := s.ExpireDue(ctx)
	if err != nil || len(ids) != 3 {
		t.Errorf("ExpireDue after every grant closed: %v, %v", ids, err)
	}
	if left, _ := s.List(ctx, Filter{State: Approved}); len(left) != 0 {
		t.Errorf("%d grants still open", len(left))
	}
}

func TestStorePending(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), c)
	if _, err := s.Pending(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Pending with none: %v", err)
	}
	r := newRequest(c, Quorum{Count: 1})
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Pending(ctx, agent.Name, "shop", del); err != nil || got.ID != r.ID {
		t.Fatalf("Pending: %v, %v", got, err)
	}
	other := del
	other.Params = nil
	if _, err := s.Pending(ctx, agent.Name, "shop", other); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pending for other parameters: %v", err)
	}
	c.add(2 * time.Hour)
	if _, err := s.Pending(ctx, agent.Name, "shop", del); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pending after expiry: %v", err)
	}
}

func TestStoreCheckVote(t *testing.T) {
	ctx := context.Background()
	s, _, r := storeWithRequest(t)
	for _, tt := range []struct {
		voter   Person
		approve bool
		want    error
	}{{bob, true, nil}, {agent, true, ErrAgent}, {Person{Name: "alice", Kind: "human"}, true, ErrOwner}, {Person{Name: "alice", Kind: "human"}, false, nil}} {
		if got, err := s.CheckVote(ctx, r.ID, tt.voter, tt.approve); !errors.Is(err, tt.want) || got.ID != r.ID {
			t.Errorf("CheckVote by %s (approve %v): %v, want %v", tt.voter.Name, tt.approve, err, tt.want)
		}
	}
	if got, _ := s.Get(ctx, r.ID); len(got.Votes) != 0 {
		t.Fatal("CheckVote voted")
	}
	s.Vote(ctx, r.ID, bob, true, "", 0)
	if _, err := s.CheckVote(ctx, r.ID, sue, true); !errors.Is(err, ErrNotPending) {
		t.Errorf("CheckVote after approval: %v", err)
	}
	if _, err := s.CheckVote(ctx, "R-NONE", sue, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("CheckVote of an unknown id: %v", err)
	}
}

func TestStoreOnChange(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	s := openStore(t, filepath.Join(t.TempDir(), "a.sqlite"), c)
	var got []string
	s.OnChange(func(r Request) { got = append(got, r.ID+" "+string(r.State)) })
	create := func() string {
		r := newRequest(c, Quorum{Count: 2})
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	used, denied, expired, withdrawn, windowed := create(), create(), create(), create(), create()
	must := func(_ *Request, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A vote short of the quorum, and a run in a grant's window, change
	// no state: they are not reported.
	must(s.Vote(ctx, used, bob, true, "", 0))
	must(s.Vote(ctx, used, sue, true, "", 0))
	must(s.Redeem(ctx, agent.Name, "shop", del))
	must(s.Vote(ctx, denied, bob, false, "no", 0))
	if err := s.Withdraw(ctx, withdrawn, "the client disconnected"); err != nil {
		t.Fatal(err)
	}
	must(s.Vote(ctx, windowed, bob, true, "", time.Hour))
	must(s.Vote(ctx, windowed, sue, true, "", time.Hour))
	must(s.Redeem(ctx, agent.Name, "shop", del))
	must(s.Redeem(ctx, agent.Name, "shop", del))
	c.add(2 * time.Hour)
	if ids, err := s.ExpireDue(ctx); err != nil || len(ids) != 2 {
		t.Fatalf("expire: %v, %v", ids, err)
	}
	want := []string{used + " pending", denied + " pending", expired + " pending", withdrawn + " pending", windowed + " pending",
		used + " approved", used + " used", denied + " denied", withdrawn + " withdrawn", windowed + " approved",
		expired + " expired", windowed + " expired"}
	if len(got) == len(want) { // (ExpireDue's order is the ids')
		slices.Sort(got[10:])
		slices.Sort(want[10:])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes reported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
