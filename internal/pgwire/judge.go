package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/approval"
	"github.com/dbward/dbward/internal/audit"
	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/policy"
	"github.com/dbward/dbward/internal/upstream"
)

// quickTextLimit bounds the statements quick judging parses itself; longer
// ones are judged off the event loop, so one huge statement cannot stall
// other sessions.
const quickTextLimit = 8 << 10

// verdict is what judging a query string found and decided.
type verdict struct {
	stmts    []analyze.Statement // the statements of the string (shared with caches: read only)
	decision policy.Decision     // the strictest decision of them all
	intent   map[string]string
	refusal  *pgError     // nil: the string may run
	mask     *maskCtx     // how its results are masked; nil: not at all
	defs     []definition // what it defines in the session once run
	// session: what it runs depends on the session's prepared statements
	// or cursors (EXECUTE, FETCH), so a portal of it is judged again at
	// each Execute.
	session bool
	// approve: policy wants it approved, and approvals are kept; each run
	// of it is settled against them (settleApproval) before it is
	// forwarded: a Query's at once, an Execute's once its batch is sent
	// (approvals_extended.go).
	approve bool
	// approval: the request it waits for or runs under, for its record.
	approval audit.Approval
	// redeemed: it runs under a grant it has taken a run of; if it does not
	// run after all, the run is given back (releaseGrant).
	redeemed bool
	// check: it runs approved, and the rows it affects must stay within
	// what its approvers saw (effect_check.go).
	check *approval.Effect
}

// judge decides whether a query string may run. Its verdict's refusal is
// nil to let it through, or the error the client gets instead. Every statement of a
// multi-statement string is judged; the strictest decision applies to the
// whole string, so none of it runs unless all of it may. Anything that
// cannot be decided (policy or catalog failure) refuses the statement.
//
// With quick set, judge never waits: when deciding would need a catalog
// lookup, an uncached policy evaluation or a long parse, it returns
// decided=false and has changed nothing; the caller judges again without
// quick where waiting is fine. Without quick, decided is always true.
func (ss *session) judge(ctx context.Context, text string, quick bool) (_ verdict, decided bool) {
	if quick && len(text) > quickTextLimit {
		return verdict{}, false
	}
	ss.applyDefinitions()
	stmts := ss.srv.opts.Analyzer.Analyze(text)
	if len(stmts) == 0 {
		return verdict{}, true // empty query: the server answers EmptyQueryResponse
	}
	if name := privateSQLName(stmts); name != "" {
		return verdict{stmts: stmts, refusal: errPrivateName(name),
			decision: policy.Decision{Action: policy.Deny, Rule: "private_name", Reason: "names one of dbward's own prepared statements"}}, true
	}
	session := false
	for i := range stmts {
		session = session || stmts[i].Execute != "" || stmts[i].Fetch != ""
	}
	stmts = ss.resolvePrepared(stmts)
	var catalog analyze.Catalog = ss.catalog
	if quick {
		catalog = cachedCatalog{ss.catalog}
	}
	stmts, err := analyze.Resolve(ctx, stmts, catalog)
	if quick && errors.Is(err, upstream.ErrNotCached) {
		return verdict{}, false
	}
	if err != nil {
		ss.srv.log.Error("catalog lookup failed", "datastore", ss.ds.Name, "err", err)
		return verdict{stmts: stmts, refusal: &pgError{Severity: "ERROR", Code: codeInternalError,
			Message: "dbward: cannot judge the statement: the database catalog could not be read",
			Hint:    "the statement was not run; try again, and tell the operator if it persists"},
			decision: policy.Decision{Action: policy.Deny, Rule: "catalog_unavailable", Reason: "the database catalog could not be read"}}, true
	}
	v, decided := ss.decide(ctx, stmts, analyze.Intent(text), quick)
	v.session = session
	return v, decided
}

// judgeUnknownPortal judges an Execute of a portal dbward did not see
// made by a Parse and Bind: a cursor a SQL DECLARE opened, a statement a
// SQL PREPARE made and a Bind named, or a portal the server does not have.
// What it runs cannot be known, so it is judged as the most dangerous
// thing it could be, and what it returns is masked with nothing known of
// its columns' sources.
func (ss *session) judgeUnknownPortal(ctx context.Context, portal string, quick bool) (verdict, bool) {
	stmts := []analyze.Statement{{Text: "(execute portal " + quoteIdent(portal) + ")", Kind: analyze.KindUnknown,
		Command: "EXECUTE", Commands: []string{"EXECUTE"}, Flags: []string{analyze.FlagUnknownPrepared},
		Destructive: true, Dynamic: true}}
	return ss.decide(ctx, stmts, nil, quick)
}

// decide runs the policy over analysed statements (see judge).
func (ss *session) decide(ctx context.Context, stmts []analyze.Statement, intent map[string]string, quick bool) (_ verdict, decided bool) {
	var err error
	in := policy.Input{
		Identity: policy.Identity{Name: ss.id.Name, Kind: string(ss.id.Kind), Groups: ss.id.Groups,
			Owner: ss.id.Owner, Fingerprint: ss.id.Fingerprint},
		Datastore: policy.Datastore{Name: ss.ds.Name, Engine: ss.ds.Engine, Environment: ss.ds.Environment},
		Session: policy.Session{ClientAddr: ss.clientAddr, ApplicationName: *ss.appName.Load(),
			InTransaction: ss.txStatus.Load() != 'I'},
		Intent: intent,
	}
	var worst policy.Decision
	var dbuf [2]policy.Decision // (most strings hold one statement)
	decisions := dbuf[:0]
	for i := range stmts {
		in.Statement = &stmts[i]
		var d policy.Decision
		if quick {
			var ok bool
			if d, ok = ss.srv.opts.Policy.Cached(&in); !ok {
				return verdict{}, false
			}
		} else if d, err = ss.srv.opts.Policy.Decide(ctx, &in); err != nil {
			ss.srv.log.Error("policy evaluation failed", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
			return verdict{stmts: stmts, intent: in.Intent, refusal: &pgError{Severity: "ERROR", Code: codeInternalError,
				Message: "dbward: cannot judge the statement: policy evaluation failed",
				Hint:    "the statement was not run; an operator can find the cause in dbward's log and check the policies with dbward policy test"},
				decision: policy.Decision{Action: policy.Deny, Rule: "policy_error", Reason: "policy evaluation failed"}}, true
		}
		decisions = append(decisions, d)
		if i == 0 {
			worst = d
		} else {
			worst = policy.Strictest(worst, d)
		}
	}
	v := verdict{stmts: stmts, decision: worst, intent: in.Intent}
	v.approve = worst.Action == policy.Approve && ss.srv.opts.Approvals != nil
	if worst.Action == policy.Allow || v.approve {
		// (A statement that runs once approved is masked as if allowed.)
		plan, err := maskPlan(decisions)
		if err != nil {
			ss.srv.log.Error("policy mask unreadable; statement refused", "identity", ss.id.Name, "datastore", ss.ds.Name, "err", err)
			v.decision = policy.Decision{Action: policy.Deny, Rule: "policy_error", Reason: "a mask in the policy is malformed"}
			v.refusal = &pgError{Severity: "ERROR", Code: codeInternalError,
				Message: "dbward: cannot judge the statement: a mask in the policy is malformed",
				Hint:    "the statement was not run; an operator can find the cause in dbward's log and check the policies with dbward policy test"}
			return v, true
		}
		if plan.Active() {
			cls, ok, err := ss.classification(ctx, quick)
			if !ok {
				return verdict{}, false
			}
			if err != nil {
				ss.srv.log.Error("column catalog unreadable; statement refused", "datastore", ss.ds.Name, "err", err)
				v.decision = policy.Decision{Action: policy.Deny, Rule: "catalog_unavailable", Reason: "the column catalog could not be read, so results could not be masked"}
				v.refusal = &pgError{Severity: "ERROR", Code: codeInternalError,
					Message: "dbward: cannot mask the results: the database catalog could not be read",
					Hint:    "the statement was not run; try again, and tell the operator if it persists"}
				return v, true
			}
			if perr := copyRefusal(stmts, cls, plan); perr != nil {
				v.decision = policy.Decision{Action: policy.Deny, Rule: "mask_copy", Reason: "binary COPY TO STDOUT of data the policy masks"}
				if perr == errCopyUntraced {
					v.decision.Rule, v.decision.Reason = "mask_unknown_source", "COPY of a column of unknown source"
				}
				v.refusal = perr
				return v, true
			}
			if perr := sideChannel(stmts, cls); perr != nil {
				v.decision = policy.Decision{Action: policy.Deny, Rule: "mask_side_channel", Reason: "reads masked data and sends values out unmasked"}
				v.refusal = perr
				return v, true
			}
			if perr := ss.launderRefusal(stmts, cls, plan); perr != nil {
				v.decision = policy.Decision{Action: policy.Deny, Rule: "mask_launder", Reason: "writes masked data into a column that does not mask it"}
				v.refusal = perr
				return v, true
			}
			if perr := statisticsRefusal(stmts, cls); perr != nil {
				v.decision = policy.Decision{Action: policy.Deny, Rule: "mask_statistics", Reason: "the planner's statistics hold values the policy masks"}
				v.refusal = perr
				return v, true
			}
			v.mask = ss.maskFor(plan, cls, stmts)
		}
		v.defs = ss.remember(stmts)
		return v, true
	}
	ss.srv.log.Info("statement refused", "identity", ss.id.Name, "datastore", ss.ds.Name,
		"action", string(worst.Action), "rule", worst.Rule)
	v.refusal = refusal(worst)
	return v, true
}

// cachedCatalog answers from the catalog's cache only, so that quick
// judging never waits on the database.
type cachedCatalog struct{ c *upstream.Catalog }

func (q cachedCatalog) FunctionMayWrite(_ context.Context, name string) (bool, error) {
	return q.c.Cached(name)
}

// refusal is the error a client gets for a deny or approve decision.
func refusal(d policy.Decision) *pgError {
	e := &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege, Hint: d.Hint}
	reason := d.Reason
	if reason == "" {
		reason = "not allowed by policy"
	}
	switch d.Action {
	case policy.Approve:
		e.Message = fmt.Sprintf("dbward: approval required by %s: %s", d.Rule, reason)
		if a := d.Approvals; a != nil && a.Count > 0 {
			e.Detail = fmt.Sprintf("The policy asks for %d approval(s)", a.Count)
			if len(a.RequiredGroups) > 0 {
				e.Detail += " including " + strings.Join(a.RequiredGroups, ", ")
			}
			e.Detail += "."
		}
		e.Hint = "this dbward keeps no approval requests, so it was not run; ask someone in dba to run it, or to add a policy exception"
	default:
		if d.Rule == "unparseable" {
			e.Code = codeSyntaxError
		}
		e.Message = fmt.Sprintf("dbward: blocked by %s: %s", d.Rule, reason)
		if e.Hint == "" {
			e.Hint = "the statement was not run; if you need it, ask someone in dba for an exception"
		}
	}
	return e
}

// resolvePrepared replaces the facts of a SQL-level EXECUTE by those of the
// statement it runs, as this session prepared it. An EXECUTE of a name the
// session did not prepare through dbward keeps the analyzer's verdict:
// unknown effect, the most dangerous.
func (ss *session) resolvePrepared(stmts []analyze.Statement) []analyze.Statement {
	var out []analyze.Statement
	var touched map[string]bool // names an earlier statement of the string (re)defines: unknown until it has run
	for i, st := range stmts {
		if st.Fetch != "" {
			// FETCH returns rows of its cursor's query.
			if out == nil {
				out = append([]analyze.Statement(nil), stmts...)
			}
			out[i].Lineage = nil
			if !touched[st.Fetch] {
				out[i].Lineage = ss.cursors[st.Fetch]
			}
		}
		for _, name := range []string{st.Prepare, st.Deallocate, st.Cursor, st.CloseCursor} {
			if name != "" {
				if touched == nil {
					touched = map[string]bool{}
				}
				touched[name] = true
			}
		}
		if st.Execute == "" || touched[st.Execute] || touched["*"] {
			continue
		}
		body, ok := ss.prepared[st.Execute]
		if !ok {
			continue
		}
		if out == nil {
			out = append([]analyze.Statement(nil), stmts...) // stmts is shared with the cache
		}
		body.Text, body.Command = st.Text, st.Command
		cmds := body.Commands
		if len(cmds) > 0 && cmds[0] == "PREPARE" {
			cmds = cmds[1:] // the prepared body's own commands, as EXECUTE runs them
		}
		body.Commands = append([]string{st.Command}, cmds...)
		body.Prepare, body.Execute = "", ""
		out[i] = body
	}
	if out == nil {
		return stmts
	}
	return out
}

// remember notes what allowed statements change for later judgements.
// DDL (which may create or replace functions) invalidates the catalog at
// once. What a statement defines in the session — a SQL-level PREPARE, a
// cursor a DECLARE opens, a DEALLOCATE — is returned, to take effect only
// once the statement has completed (see applyDefinitions): a PREPARE that
// fails, or a string that stops at an error before it, defines nothing,
// and EXECUTE must not be judged by what it did not define.
func (ss *session) remember(stmts []analyze.Statement) []definition {
	var defs []definition
	for i, st := range stmts {
		if st.Prepare != "" || st.Deallocate != "" || st.Cursor != "" || st.CloseCursor != "" {
			defs = append(defs, definition{stmt: i, prepare: st.Prepare, body: st, deallocate: st.Deallocate,
				cursor: st.Cursor, lineage: st.Lineage, closeCursor: st.CloseCursor})
			// Until it completes, what the name stands for is not known:
			// a pipelined EXECUTE or FETCH of it is judged as unknown.
			forget(st.Prepare, ss.prepared, ss.parsed)
			forget(st.Deallocate, ss.prepared, ss.parsed)
			forget(st.Cursor, ss.cursors, ss.portals)
			forget(st.CloseCursor, ss.cursors, ss.portals)
		}
		if st.Kind == analyze.KindDDL || st.Kind == analyze.KindUnknown {
			ss.catalog.Invalidate()
		}
	}
	return defs
}

// definition is what one statement of a string defines in the session,
// once it has run.
type definition struct {
	stmt       int               // its index in the string
	prepare    string            // PREPARE: the name of body
	body       analyze.Statement // (its facts are the prepared statement's)
	deallocate string            // DEALLOCATE: the name, "*" for all (DISCARD ALL too)
	cursor     string            // DECLARE: the cursor, whose rows have lineage
	lineage    *lineage.Query
	// closeCursor: CLOSE, the cursor ("*": all).
	closeCursor string
	// unparsed: a Parse of unparsedStmt as this name, which the server
	// refused or skipped (a statement that waits for approval).
	unparsed     string
	unparsedStmt *parsedStmt
}

// forget drops a name ("*": every name) from the two maps of one server
// namespace.
func forget[A, B any](name string, a map[string]A, b map[string]B) {
	switch name {
	case "":
	case "*":
		clear(a)
		clear(b)
	default:
		delete(a, name)
		delete(b, name)
	}
}

// applyDefinitions makes what completed statements defined take effect.
// Client side only.
func (ss *session) applyDefinitions() {
	// (Prepared statements, SQL or protocol, share one namespace on the
	// server, and cursors and portals another: a name defined one way
	// is forgotten the other.)
	for _, d := range ss.flight.takeDefined() {
		if d.unparsedStmt != nil {
			if ss.parsed[d.unparsed] == d.unparsedStmt {
				delete(ss.parsed, d.unparsed)
			}
			continue
		}
		forget(d.deallocate, ss.prepared, ss.parsed)
		forget(d.closeCursor, ss.cursors, ss.portals)
		if d.prepare != "" {
			if ss.prepared == nil {
				ss.prepared = map[string]analyze.Statement{}
			}
			ss.prepared[d.prepare] = d.body
			delete(ss.parsed, d.prepare)
		}
		if d.cursor != "" {
			if ss.cursors == nil {
				ss.cursors = map[string]*lineage.Query{}
			}
			ss.cursors[d.cursor] = d.lineage
			delete(ss.portals, d.cursor)
		}
	}
}
