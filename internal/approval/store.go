package approval

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dbward/dbward/internal/store"
)

// Store keeps approval requests in SQLite. Its methods are safe for
// concurrent use; the process that serves sessions is meant to be the only
// writer (the CLI acts through the server's HTTP API, DESIGN §5), which is
// what lets Wait learn of decisions without polling the file.
type Store struct {
	db  *sql.DB
	now func() time.Time

	// wmu serialises this process's writes: SQLite lets one writer in at a
	// time, and a read transaction that turns into a write after another
	// writer committed fails rather than waits.
	wmu sync.Mutex

	mu       sync.Mutex
	waiters  map[string][]chan struct{} // request id -> sessions waiting on it
	onChange func(Request)
}

// OnChange has fn called with each request whose state changes — created,
// approved, denied, expired, withdrawn, used — once the change is stored,
// as it then stands. (The audit trail records them.) fn runs on the
// goroutine that made the change and must not block for long.
func (s *Store) OnChange(fn func(Request)) {
	s.mu.Lock()
	s.onChange = fn
	s.mu.Unlock()
}

// changed tells the OnChange function of r.
func (s *Store) changed(r *Request) {
	s.mu.Lock()
	fn := s.onChange
	s.mu.Unlock()
	if fn != nil {
		fn(*r)
	}
}

// Open opens (creating if needed) the approvals database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("approvals database %s: %w", path, err)
	}
	return &Store{db: db, now: time.Now, waiters: map[string][]chan struct{}{}}, nil
}

// The request itself is one JSON document; the columns beside it are what
// the store looks requests up by.
const schema = `
CREATE TABLE IF NOT EXISTS approval_requests (
	id          TEXT PRIMARY KEY,
	state       TEXT NOT NULL,
	requester   TEXT NOT NULL,
	datastore   TEXT NOT NULL,
	digest      TEXT NOT NULL,
	created     INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	doc         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_requests_grant ON approval_requests (requester, datastore, digest, state);
CREATE INDEX IF NOT EXISTS approval_requests_state ON approval_requests (state, expires_at);
`

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Create stores r as a new pending request, giving it an id and its
// creation time; r.ExpiresAt must be set.
func (s *Store) Create(ctx context.Context, r *Request) error {
	if r.ExpiresAt.IsZero() {
		return errors.New("approval request without an expiry")
	}
	if r.Quorum.Count < 1 {
		r.Quorum.Count = 1
	}
	if r.Mode == "" {
		r.Mode = Wait
	}
	r.State, r.Created, r.Votes = Pending, s.now().UTC(), nil
	r.Decided, r.Outcome, r.GrantUntil, r.UseBy, r.Uses = time.Time{}, "", time.Time{}, time.Time{}, 0
	for range 8 {
		r.ID = newID()
		err := s.insert(ctx, r)
		if err == nil {
			s.changed(r)
			return nil
		}
		if !strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("storing approval request: %w", err)
		}
	}
	return errors.New("storing approval request: no free id")
}

func (s *Store) insert(ctx context.Context, r *Request) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO approval_requests (id, state, requester, datastore, digest, created, expires_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.State, r.Requester.Name, r.Datastore, r.Statement.Digest(), r.Created.UnixNano(), r.ExpiresAt.UnixNano(), doc)
	return err
}

// idAlphabet is Crockford's base32: no I, L, O or U to misread.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns a short id people can read out and type: R-7Q2K.
func newID() string {
	var b [4]byte
	rand.Read(b[:])
	id := []byte("R-")
	for _, c := range b {
		id = append(id, idAlphabet[c%32])
	}
	return string(id)
}

// OneTimeUse is how long a statement approved to run once may wait to be
// run: an approval is of the statement against the data as it was then.
const OneTimeUse = time.Hour

// normID is id as stored: people type r-7q2k for R-7Q2K.
func normID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// deadline is when x lapses if nothing more happens to it: a pending
// request expires, a grant closes.
func deadline(x *Request) time.Time {
	switch {
	case x.State == Approved && !x.GrantUntil.IsZero():
		return x.GrantUntil
	case x.State == Approved:
		return x.UseBy
	}
	return x.ExpiresAt
}

// Get returns request id, expiring it first if its time has passed.
func (s *Store) Get(ctx context.Context, id string) (*Request, error) {
	id = normID(id)
	var r *Request
	err := s.update(ctx, id, func(x *Request) (bool, error) {
		r = x
		return s.expire(x), nil
	})
	return r, err
}

// Filter selects requests for List; zero fields select everything.
type Filter struct {
	State     State
	Requester string
	Datastore string
	Limit     int // at most this many, newest first; 0: 100
}

// List returns requests matching f, newest first, expiring those whose
// time has passed.
func (s *Store) List(ctx context.Context, f Filter) ([]*Request, error) {
	if _, err := s.ExpireDue(ctx); err != nil {
		return nil, err
	}
	q := `SELECT doc FROM approval_requests WHERE 1=1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Requester != "" {
		q += ` AND requester = ?`
		args = append(args, f.Requester)
	}
	if f.Datastore != "" {
		q += ` AND datastore = ?`
		args = append(args, f.Datastore)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY created DESC, id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		r := new(Request)
		if err := json.Unmarshal(doc, r); err != nil {
			return nil, fmt.Errorf("approval request in the database: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Vote records voter's decision on request id and returns the request as
// it now stands. An approval that completes the quorum approves it; one
// deny ends it. grant > 0 allows the statement to run again and again for
// that long; the request gets the narrowest window its approvers allowed,
// and with any approver allowing none it runs once, within OneTimeUse.
// Ineligible voters get ErrAgent, ErrNotPerson, ErrSelf, ErrOwner or
// ErrVoted; a request that is no longer pending, ErrNotPending.
func (s *Store) Vote(ctx context.Context, id string, voter Person, approve bool, comment string, grant time.Duration) (*Request, error) {
	id = normID(id)
	var r *Request
	err := s.update(ctx, id, func(x *Request) (bool, error) {
		r = x
		// (Who may never vote hears so first, whatever the request's state.)
		if err := x.eligible(voter, approve); errors.Is(err, ErrAgent) || errors.Is(err, ErrNotPerson) {
			return false, err
		}
		if s.expire(x) {
			return true, ErrNotPending
		}
		if x.State != Pending {
			return false, ErrNotPending
		}
		if err := x.eligible(voter, approve); err != nil {
			return false, err
		}
		now := s.now().UTC()
		x.Votes = append(x.Votes, Vote{By: voter, Approve: approve, Comment: comment, At: now, Grant: max(grant, 0)})
		switch {
		case !approve:
			x.State, x.Decided = Denied, now
			x.Outcome = "denied by " + voter.Name
			if comment != "" {
				x.Outcome += ": " + comment
			}
		case x.Quorum.Met(x.approvals()):
			x.State, x.Decided = Approved, now
			if w := x.narrowestGrant(); w > 0 {
				x.GrantUntil = now.Add(w)
			} else {
				x.UseBy = now.Add(OneTimeUse)
			}
		}
		return true, nil
	})
	if r != nil && r.State != Pending {
		s.notify(id)
	}
	return r, err
}

// CheckVote returns request id as it stands, with the error Vote would give
// voter's vote on it now, without voting: for a caller that must record the
// vote before it counts. Vote checks again, so a race between the two is
// only ever refused, never let through.
func (s *Store) CheckVote(ctx context.Context, id string, voter Person, approve bool) (*Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.eligible(voter, approve); errors.Is(err, ErrAgent) || errors.Is(err, ErrNotPerson) {
		return r, err
	}
	if r.State != Pending {
		return r, ErrNotPending
	}
	return r, r.eligible(voter, approve)
}

// Withdraw ends pending request id because its client gave up; a request
// already decided is left as it is.
func (s *Store) Withdraw(ctx context.Context, id, why string) error {
	id = normID(id)
	changed := false
	err := s.update(ctx, id, func(x *Request) (bool, error) {
		if s.expire(x) {
			changed = true
			return true, nil
		}
		if x.State != Pending {
			return false, nil
		}
		x.State, x.Decided, x.Outcome = Withdrawn, s.now().UTC(), why
		changed = true
		return true, nil
	})
	if changed {
		s.notify(id)
	}
	return err
}

// ExpireDue expires every pending request whose time has passed, and
// every grant that has closed, and returns their ids.
func (s *Store) ExpireDue(ctx context.Context) ([]string, error) {
	ids, err := s.ids(ctx, `SELECT id FROM approval_requests WHERE state IN (?, ?) AND expires_at <= ?`, Pending, Approved, s.now().UnixNano())
	if err != nil {
		return nil, err
	}
	var done []string
	for _, id := range ids {
		expired := false
		if err := s.update(ctx, id, func(x *Request) (bool, error) {
			expired = s.expire(x)
			return expired, nil
		}); err != nil {
			return done, err
		}
		if expired {
			s.notify(id)
			done = append(done, id)
		}
	}
	return done, nil
}

// expire marks x expired if it is pending past its expiry or approved past
// its grant, and reports whether it did.
func (s *Store) expire(x *Request) bool {
	now := s.now()
	switch {
	case x.State == Pending && !now.Before(x.ExpiresAt):
		x.State, x.Decided, x.Outcome = Expired, now.UTC(), "nobody decided before it expired"
	case x.State == Approved && !now.Before(deadline(x)):
		x.State, x.Outcome = Expired, "approved, but its grant closed before it ran"
		if x.Uses > 0 {
			x.Outcome = fmt.Sprintf("its grant closed after %d runs", x.Uses)
		}
	default:
		return false
	}
	return true
}

// Pending returns the pending request of requester for stmt on datastore,
// so that sending a statement again while it waits asks no one twice; or
// ErrNotFound.
func (s *Store) Pending(ctx context.Context, requester, datastore string, stmt Statement) (*Request, error) {
	ids, err := s.ids(ctx, `SELECT id FROM approval_requests WHERE requester = ? AND datastore = ? AND digest = ? AND state = ? ORDER BY created DESC`,
		requester, datastore, stmt.Digest(), Pending)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.State == Pending && r.Statement.Fingerprint == stmt.Fingerprint {
			return r, nil
		}
	}
	return nil, ErrNotFound
}

// Redeem finds the approved request that grants requester running stmt on
// datastore, and uses it: a one-time grant is then Used; a grant with a
// window counts the run while the window is open. Without one it returns
// ErrNoGrant.
func (s *Store) Redeem(ctx context.Context, requester, datastore string, stmt Statement) (*Request, error) {
	ids, err := s.ids(ctx, `SELECT id FROM approval_requests WHERE requester = ? AND datastore = ? AND digest = ? AND state = ? ORDER BY created`,
		requester, datastore, stmt.Digest(), Approved)
	if err != nil {
		return nil, err
	}
	return s.redeem(ctx, ids, requester, datastore, stmt)
}

// RedeemRequest is Redeem of request id alone: a statement held until id
// was approved runs under id's grant, not another's.
func (s *Store) RedeemRequest(ctx context.Context, id, requester, datastore string, stmt Statement) (*Request, error) {
	return s.redeem(ctx, []string{normID(id)}, requester, datastore, stmt)
}

func (s *Store) redeem(ctx context.Context, ids []string, requester, datastore string, stmt Statement) (*Request, error) {
	for _, id := range ids {
		var got *Request
		err := s.update(ctx, id, func(x *Request) (bool, error) {
			// Re-checked inside the transaction: another session may have
			// used a one-time grant meanwhile.
			if x.State != Approved || x.Requester.Name != requester || x.Datastore != datastore ||
				x.Statement.Fingerprint != stmt.Fingerprint || x.Statement.Digest() != stmt.Digest() {
				return false, nil
			}
			if s.expire(x) {
				return true, nil
			}
			if x.GrantUntil.IsZero() {
				x.State = Used
			}
			x.Uses++
			got = x
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if got != nil {
			return got, nil
		}
	}
	return nil, ErrNoGrant
}

// Release gives back the run a Redeem of id took, when the statement did
// not run after all (its audit record could not be written): a one-time
// grant is approved again, a window's run is not counted.
func (s *Store) Release(ctx context.Context, id string) error {
	return s.update(ctx, normID(id), func(x *Request) (bool, error) {
		switch {
		case x.Uses == 0:
			return false, nil
		case x.State == Used && x.GrantUntil.IsZero():
			x.State = Approved
		case x.State == Approved && !x.GrantUntil.IsZero():
		default:
			return false, nil
		}
		x.Uses--
		return true, nil
	})
}

// Wait returns request id once it is no longer pending (as it then is), or
// ctx's error. It wakes at the request's expiry to expire it.
func (s *Store) Wait(ctx context.Context, id string) (*Request, error) {
	id = normID(id)
	for {
		ch := make(chan struct{}, 1)
		s.mu.Lock()
		s.waiters[id] = append(s.waiters[id], ch)
		s.mu.Unlock()
		r, err := s.Get(ctx, id)
		if err != nil || r.State != Pending {
			s.forget(id, ch)
			return r, err
		}
		timer := time.NewTimer(max(time.Until(r.ExpiresAt), 0) + time.Millisecond)
		select {
		case <-ch:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			s.forget(id, ch)
			return r, ctx.Err()
		}
		timer.Stop()
		s.forget(id, ch)
	}
}

func (s *Store) notify(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.waiters[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *Store) forget(id string, ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.waiters[id]
	for i, c := range ws {
		if c == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.waiters, id)
	} else {
		s.waiters[id] = ws
	}
}

// ids returns the ids query selects.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// update reads request id, lets fn change it, and writes it back when fn
// says it changed, all in one transaction. fn's error is returned after a
// write fn asked for.
func (s *Store) update(ctx context.Context, id string, fn func(*Request) (bool, error)) error {
	r, was, err := s.updateTx(ctx, id, fn)
	if r != nil && r.State != was {
		s.changed(r)
	}
	return err
}

// updateTx is update, but for telling OnChange: it returns the request as
// written, if it was, and its state before.
func (s *Store) updateTx(ctx context.Context, id string, fn func(*Request) (bool, error)) (written *Request, was State, _ error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	var doc []byte
	err = tx.QueryRowContext(ctx, `SELECT doc FROM approval_requests WHERE id = ?`, normID(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, "", err
	}
	r := new(Request)
	if err := json.Unmarshal(doc, r); err != nil {
		return nil, "", fmt.Errorf("approval request %s in the database: %w", id, err)
	}
	was = r.State
	changed, ferr := fn(r)
	if !changed {
		return nil, was, ferr
	}
	if doc, err = json.Marshal(r); err != nil {
		return nil, was, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE approval_requests SET state = ?, expires_at = ?, doc = ? WHERE id = ?`,
		r.State, deadline(r).UnixNano(), doc, r.ID); err != nil {
		return nil, was, err
	}
	if err := tx.Commit(); err != nil {
		return nil, was, err
	}
	return r, was, ferr
}
