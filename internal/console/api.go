package console

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/identity"
)

// Options configures New.
type Options struct {
	Identities *identity.Store // who may call; required
	Approvals  *approval.Store // required
	// Audit records every vote. If nil, votes are not recorded (tests of
	// other parts only; dbward serve always sets it).
	Audit *audit.Trail
	// Logger receives the API's problems. If nil, slog.Default() is used.
	Logger *slog.Logger
}

// maxBody bounds a request body: votes are a comment and a duration.
const maxBody = 64 << 10

// New returns the HTTP handler of the API and /healthz.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &api{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /api/v1/approvals", a.authed(a.list))
	mux.HandleFunc("GET /api/v1/approvals/{id}", a.authed(a.show))
	mux.HandleFunc("POST /api/v1/approvals/{id}/approve", a.authed(a.vote(true)))
	mux.HandleFunc("POST /api/v1/approvals/{id}/deny", a.authed(a.vote(false)))
	return mux
}

type api struct{ o Options }

// authed runs h as the identity the request's bearer token belongs to.
func (a *api) authed(h func(http.ResponseWriter, *http.Request, identity.Identity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dbward"`)
			writeError(w, http.StatusUnauthorized, "a token is required: send Authorization: Bearer <your dbward token> (the CLI reads DBWARD_TOKEN)")
			return
		}
		id, err := a.o.Identities.ByToken(strings.TrimSpace(token))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dbward", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "the token is not valid")
			return
		}
		h(w, r, id)
	}
}

// sees reports whether id may see request r: people see all, others their own.
func sees(id identity.Identity, r *approval.Request) bool {
	return id.Kind == identity.Human || r.Requester.Name == id.Name
}

func (a *api) list(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	q := r.URL.Query()
	f := approval.Filter{State: approval.State(q.Get("state")), Requester: q.Get("requester"), Datastore: q.Get("datastore")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit is a whole number from 1 to 1000")
			return
		}
		f.Limit = n
	}
	if id.Kind != identity.Human {
		f.Requester = id.Name
	}
	reqs, err := a.o.Approvals.List(r.Context(), f)
	if err != nil {
		a.unavailable(w, "listing approvals", err)
		return
	}
	if reqs == nil {
		reqs = []*approval.Request{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": reqs})
}

func (a *api) show(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	req, err := a.o.Approvals.Get(r.Context(), r.PathValue("id"))
	if err == nil && !sees(id, req) {
		err = approval.ErrNotFound // (not telling others' requests apart from none)
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// voteBody is what approve and deny take.
type voteBody struct {
	Comment string `json:"comment"`
	Grant   string `json:"grant"` // approve: how long the statement may run again and again; empty: once
}

func (a *api) vote(approve bool) func(http.ResponseWriter, *http.Request, identity.Identity) {
	return func(w http.ResponseWriter, r *http.Request, id identity.Identity) {
		var body voteBody
		if r.ContentLength != 0 {
			dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
				writeError(w, http.StatusBadRequest, "the body is not a vote: "+err.Error())
				return
			}
		}
		var grant time.Duration
		if body.Grant != "" {
			d, err := time.ParseDuration(body.Grant)
			if err != nil || d <= 0 || !approve {
				writeError(w, http.StatusBadRequest, `grant is a positive duration such as "30m", and only for approve`)
				return
			}
			grant = d
		}
		if id.Kind != identity.Human {
			// (Before any lookup: whether an id exists is not theirs to learn.)
			msg := approval.ErrNotPerson.Error()
			if id.Kind == identity.Agent {
				msg = approval.ErrAgent.Error()
			}
			writeError(w, http.StatusForbidden, msg)
			return
		}
		voter := approval.Person{Name: id.Name, Kind: string(id.Kind), Groups: id.Groups, Owner: id.Owner}
		// Write-ahead, as for statements: the vote is durable in the trail
		// before it counts, and a vote the trail cannot take never counts.
		reqID := r.PathValue("id")
		cur, err := a.o.Approvals.CheckVote(r.Context(), reqID, voter, approve)
		if err != nil {
			a.storeError(w, err)
			return
		}
		if err := a.record(cur, id, approve, body, grant, ""); err != nil {
			a.unavailable(w, "recording the vote in the audit trail (the vote did not count)", err)
			return
		}
		req, err := a.o.Approvals.Vote(r.Context(), reqID, voter, approve, body.Comment, grant)
		if err != nil {
			// (Recorded, but refused after all: it lost a race with another
			// vote or the expiry. The trail says so too.)
			a.record(cur, id, approve, body, grant, "not counted: "+err.Error())
			a.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, req)
	}
}

// record appends a vote on req, as req stands before the vote, to the audit
// trail, durably; reason says when the vote did not count after all.
func (a *api) record(req *approval.Request, id identity.Identity, approve bool, body voteBody, grant time.Duration, reason string) error {
	if a.o.Audit == nil {
		return nil
	}
	ev := audit.Event{Type: audit.TypeApprovalVote,
		Identity:  audit.Identity{Name: id.Name, Kind: string(id.Kind), Owner: id.Owner, Fingerprint: id.Fingerprint, Groups: id.Groups},
		Datastore: req.Datastore, Environment: req.Environment, Reason: reason,
		Approval: audit.Approval{Request: req.ID, Vote: "deny", State: string(req.State), Comment: body.Comment}}
	if approve {
		ev.Approval.Vote = "approve"
	}
	if grant > 0 {
		ev.Approval.Grant = grant.String()
	}
	_, err := a.o.Audit.Append(&ev, true)
	return err
}

// storeError answers an approval store error with the status it stands for.
func (a *api) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, approval.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, approval.ErrNotPending):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, approval.ErrSelf), errors.Is(err, approval.ErrAgent), errors.Is(err, approval.ErrNotPerson),
		errors.Is(err, approval.ErrOwner), errors.Is(err, approval.ErrVoted):
		writeError(w, http.StatusForbidden, err.Error())
	default:
		a.unavailable(w, "reading approvals", err)
	}
}

func (a *api) unavailable(w http.ResponseWriter, doing string, err error) {
	a.o.Logger.Error("console: "+doing+" failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, doing+" failed; the operator can find the cause in dbward's log")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
