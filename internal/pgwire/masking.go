package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/mask"
	"github.com/dbward/dbward/internal/policy"
)

// How results are masked (DESIGN §7.4). The policy decision of a query
// string carries a mask plan; when the plan may mask anything, judging
// makes sure the datastore's column classification is loaded, and the
// forwarded Query or Execute carries plan and classification (maskCtx)
// in the inflight queue. Each result set's columns come from its
// RowDescription: the Query's own, or for an Execute the one a Describe of
// the portal returned — dbward sends that Describe itself, and keeps its
// answer from the client, when the client did not describe the portal.
// Each DataRow is then rewritten before it is relayed.

// maskCtx is how the results of one forwarded Query or Execute are masked.
type maskCtx struct {
	plan *mask.Plan
	cls  *mask.Classification
	// lineage of each statement's result, in the order of the string
	// (an Execute's: one), and for a COPY … TO STDOUT its format.
	lineage []*lineage.Query
	copyOut []*analyze.CopyOut
	// read: the classified columns of the tables the string reads, for
	// result columns of unknown source (see mask.NewResult).
	read []mask.Source
	// sensitive: the string reads a table with classified columns, or
	// calls functions dbward cannot see into: its errors and notices
	// may carry such values in any words (see mask.Message).
	sensitive bool
}

// lineageOf is the lineage of the result of the string's i-th statement.
func (m *maskCtx) lineageOf(i int) *lineage.Query {
	if i < len(m.lineage) {
		return m.lineage[i]
	}
	return nil
}

// maskFor returns how the results of stmts are masked under plan and cls:
// the same maskCtx as the last statement's when they are the same (they
// come from cached decisions, analyses and classification), so that
// judging a statement allocates none and resultFor can tell a repeat by
// pointer. Client side only.
func (ss *session) maskFor(plan *mask.Plan, cls *mask.Classification, stmts []analyze.Statement) *maskCtx {
	if m := ss.lastMask; m != nil && m.plan == plan && m.cls == cls && sameLineage(m.lineage, stmts) {
		return m
	}
	m := &maskCtx{plan: plan, cls: cls, lineage: make([]*lineage.Query, len(stmts)), copyOut: make([]*analyze.CopyOut, len(stmts)),
		sensitive: readsSensitive(stmts, cls), read: cls.TablesRead(tablesRead(stmts))}
	for i := range stmts {
		if stmts[i].Fetch != "" && stmts[i].Lineage == nil || stmts[i].Execute != "" {
			// A cursor or prepared statement dbward does not know (or no
			// longer trusts): its rows may come from any table.
			m.read, m.sensitive = cls.TablesRead(nil), m.sensitive || cls.Any()
		}
	}
	for i := range stmts {
		m.lineage[i], m.copyOut[i] = stmts[i].Lineage, stmts[i].CopyOut
	}
	ss.lastMask = m
	return m
}

func sameLineage(l []*lineage.Query, stmts []analyze.Statement) bool {
	if len(l) != len(stmts) {
		return false
	}
	for i := range stmts {
		if l[i] != stmts[i].Lineage || stmts[i].CopyOut != nil {
			return false // (a COPY's format is not kept: it is rare)
		}
	}
	return true
}

// maskStep is what masking does with one upstream message.
type maskStep struct {
	rows    *mask.Result // a DataRow: relay it rewritten by this
	copy    *mask.Copy   // a CopyData row: relay it rewritten by this
	message *maskCtx     // an ErrorResponse or NoticeResponse of a masked statement: mask the values it tells
	swallow bool         // not for the client: the answer to dbward's own Describe, or a withheld result
	refuse  bool         // the end of a withheld result: the client gets errMaskRefused instead
	fail    bool         // the columns are unknown, so the rows cannot be masked: end the session
}

// errMaskRefused replaces a result whose plan refuses columns of unknown
// source.
var errMaskRefused = &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
	Message: "dbward: blocked by mask_unknown_source: a result column may hold sensitive data and dbward cannot tell where it comes from",
	Hint:    "select the table's columns by name rather than through expressions, or ask for a policy that masks such columns by content"}

// errSyntaxSetting ends a session whose database set, by default, a
// client_encoding or standard_conforming_strings dbward cannot follow.
var errSyntaxSetting = fatal(codeFeatureNotSupported, "dbward: the database sets a client_encoding or standard_conforming_strings that dbward cannot read SQL under",
	"ask the operator to remove that default from the role or database (ALTER ROLE … RESET client_encoding)")

// errMaskFailed ends a session whose rows dbward could not mask.
var errMaskFailed = fatal(codeInternalError, "dbward: internal error: a result could not be masked, so it was not sent",
	"reconnect; tell the operator if it happens again")

// rowsOf returns how a DataRow of head's result is masked, building an
// Execute's Result from its portal's description on the first row.
func (f *inflight) rowsOf(head *awaited) maskStep {
	if head.result == nil {
		if head.typ != 'E' {
			return maskStep{fail: true} // rows before their RowDescription
		}
		desc, ok := f.portalCols[head.portal]
		if !ok || desc == nil {
			return maskStep{fail: true} // (NoData: no rows were to come)
		}
		r, err := f.resultFor(desc, head.mask, 0)
		if err != nil {
			return maskStep{fail: true}
		}
		head.result = r
	}
	if head.result.Refused() {
		return maskStep{swallow: true}
	}
	if !head.result.Active() {
		return maskStep{}
	}
	return maskStep{rows: head.result}
}

// resultOf builds the Result of the result set a Query's RowDescription
// starts.
func (f *inflight) resultOf(head *awaited, raw []byte) maskStep {
	r, err := f.resultFor(raw, head.mask, head.stmt)
	if err != nil {
		return maskStep{fail: true}
	}
	head.result = r
	return maskStep{swallow: r.Refused()}
}

// resultFor returns the Result for the result set a RowDescription desc
// describes, of the stmt-th statement of a string, masked as m says. A
// session runs the same statements again and again: when desc, mask and
// statement are those of the last result set, that Result serves again
// (results arrive one at a time).
func (f *inflight) resultFor(desc []byte, m *maskCtx, stmt int) (*mask.Result, error) {
	if f.last != nil && f.lastMask == m && f.lastStmt == stmt && bytes.Equal(f.lastDesc, desc) {
		f.last.Reset()
		return f.last, nil
	}
	cols, err := mask.ParseRowDescription(nil, desc)
	if err != nil {
		return nil, err
	}
	r := mask.NewResult(cols, m.cls, m.plan, f.tr, m.lineageOf(stmt), m.read)
	f.last, f.lastMask, f.lastStmt, f.lastDesc = r, m, stmt, append(f.lastDesc[:0], desc...)
	return r, nil
}

// described1 notes what a Describe's answer (RowDescription or NoData)
// says of a portal.
func (f *inflight) described1(head *awaited, raw []byte) maskStep {
	if head.describe == 'P' {
		var desc []byte // NoData: nil
		if raw[0] == 'T' {
			desc = bytes.Clone(raw)
		}
		if f.portalCols == nil {
			f.portalCols = map[string][]byte{}
		}
		f.portalCols[head.portal] = desc
	}
	return maskStep{swallow: head.internal}
}

// forwardedDescribe notes a Describe the upstream will answer: the
// client's, or (internal) dbward's own.
func (f *inflight) forwardedDescribe(kind byte, name string, internal bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if kind == 'P' {
		if f.described == nil {
			f.described = map[string]bool{}
		}
		f.described[name] = true
	}
	f.queue = append(f.queue, awaited{typ: 'D', describe: kind, portal: name, internal: internal})
}

// forwardedBind notes a Bind: the portal is new, and undescribed.
func (f *inflight) forwardedBind(portal string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.described, portal)
	delete(f.portalCols, portal)
	f.queue = append(f.queue, awaited{typ: 'B'})
}

// forgetPortal drops what is known of a closed portal.
func (f *inflight) forgetPortal(portal string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.described, portal)
	delete(f.portalCols, portal)
}

// portalDescribed reports whether a Describe of the portal was sent since
// its Bind.
func (f *inflight) portalDescribed(portal string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.described[portal]
}

// setMask gives the message just forwarded its mask.
func (f *inflight) setMask(m *maskCtx, portal string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.queue); n > 0 {
		f.queue[n-1].mask, f.queue[n-1].portal = m, portal
	}
}

// appendDescribePortal appends a Describe of a portal.
func appendDescribePortal(out []byte, portal string) []byte {
	out = append(out, 'D')
	out = binary.BigEndian.AppendUint32(out, uint32(4+1+len(portal)+1))
	out = append(out, 'P')
	out = append(out, portal...)
	return append(out, 0)
}

// maskPlan is the plan of a string's decisions: the strictest of them.
// A decision's mask normally comes compiled (policy.Options.CompileMask);
// one that does not is read here, so that no mask is ever ignored.
func maskPlan(ds []policy.Decision) (*mask.Plan, error) {
	var buf [4]*mask.Plan
	plans := buf[:0]
	for i := range ds {
		p, ok := ds[i].MaskPlan.(*mask.Plan)
		if !ok && ds[i].Mask != nil {
			var err error
			if p, err = mask.ParsePlan(ds[i].Mask); err != nil {
				return nil, err
			}
		}
		plans = append(plans, p)
	}
	if len(plans) == 1 {
		return plans[0], nil
	}
	return mask.Merge(plans...), nil
}

// CompileMask is policy.Options.CompileMask for a Server's policy engine.
func CompileMask(m map[string]any) (any, error) { return mask.ParsePlan(m) }

// copyOf returns the masker of the rows of the COPY … TO STDOUT a
// CopyOutResponse starts: nil when they need none (binary rows of a COPY
// judged not to need masking: copyRefusal refuses the others, or a format
// dbward does not know, likewise). ok is false when the rows cannot be
// masked after all (the lineage does not line up with the columns the
// upstream announces): they are withheld, and the client gets an error.
func (f *inflight) copyOf(head *awaited, raw []byte) (c *mask.Copy, ok bool) {
	m, stmt := head.mask, head.stmt
	if head.typ == 'E' {
		stmt = 0
	}
	if stmt >= len(m.copyOut) || m.copyOut[stmt] == nil || len(raw) < 8 || raw[5] != 0 {
		return nil, true
	}
	o := m.copyOut[stmt]
	n := int(binary.BigEndian.Uint16(raw[6:]))
	format := mask.CopyFormat{CSV: o.Format == "csv", Delimiter: o.Delimiter, Null: o.Null,
		Quote: o.Quote, Escape: o.Escape, Header: o.Header}
	return mask.NewCopy(m.cls, m.plan, f.tr, m.lineageOf(stmt), format, n)
}

// errCopyBinary refuses a binary COPY … TO STDOUT whose rows would need
// masking: dbward masks COPY rows in text and CSV formats.
func errCopyBinary(table string) *pgError {
	return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
		Message: "dbward: blocked by mask_copy: COPY TO STDOUT of " + table + " in binary format would send data your policy masks, and dbward masks COPY rows in text and CSV formats only",
		Hint:    "use FORMAT text or FORMAT csv (the rows are masked), or ask for a policy that shows you this data in clear"}
}

// errCopyUntraced refuses a COPY whose columns dbward cannot all trace to
// their sources, under a plan that refuses such columns.
var errCopyUntraced = &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
	Message: "dbward: blocked by mask_unknown_source: a column of this COPY may hold sensitive data and dbward cannot tell where it comes from",
	Hint:    "copy the table's columns by name rather than through expressions or functions"}

// copyRefusal returns the refusal for a COPY … TO STDOUT among stmts
// whose rows cannot be masked under plan: binary rows of a table with
// sensitive columns or of a query calling functions (which might read
// such tables), rows of a format dbward does not read, or columns of
// unknown source where the plan refuses those. nil when none.
func copyRefusal(stmts []analyze.Statement, cls *mask.Classification, plan *mask.Plan) *pgError {
	for i := range stmts {
		st := &stmts[i]
		if st.Command != "COPY" {
			continue
		}
		if o := st.CopyOut; o != nil && o.Format != "binary" {
			if !mask.CopyMaskable(cls, plan, st.Lineage, false) {
				return errCopyUntraced
			}
			continue // masked as its rows stream
		}
		for _, t := range st.Tables {
			if t.Access == analyze.AccessRead && cls.Sensitive(t.Schema, t.Name) {
				return errCopyBinary(strings.Trim(t.Schema+"."+t.Name, "."))
			}
		}
		for _, fn := range st.Functions {
			if !analyze.PureFunction(fn) {
				return errCopyBinary("a query calling " + fn + "()")
			}
		}
	}
	return nil
}

// tablesRead lists the tables statements read, as schema and name; nil
// (every table) when they call a function dbward cannot see into, which
// may read any.
func tablesRead(stmts []analyze.Statement) [][2]string {
	out := [][2]string{}
	for i := range stmts {
		for _, fn := range stmts[i].Functions {
			if !analyze.PureFunction(fn) {
				return nil
			}
		}
		for _, t := range stmts[i].Tables {
			if t.Access == analyze.AccessRead {
				out = append(out, [2]string{t.Schema, t.Name})
			}
		}
	}
	return out
}

// readsSensitive reports whether statements read a table with classified
// columns, or call a function that is not a known pure built-in (which may
// read any): tablesRead, asked of the classification.
func readsSensitive(stmts []analyze.Statement, cls *mask.Classification) bool {
	tables := tablesRead(stmts)
	if tables == nil {
		return true
	}
	for _, t := range tables {
		if cls.Sensitive(t[0], t[1]) {
			return true
		}
	}
	return false
}

// sideChannels are built-ins that carry a value out of the statement other
// than in its rows: to other sessions (pg_notify), into settings the
// client is told of or can read back (set_config), into the WAL stream.
var sideChannels = map[string]bool{"pg_notify": true, "set_config": true, "pg_logical_emit_message": true,
	"lo_from_bytea": true, "lo_put": true, "lowrite": true} // (large objects, read back with lo_get)

// errSideChannel refuses a statement that reads data the policy masks and
// sends values out by a way dbward does not mask.
func errSideChannel(how string) *pgError {
	return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
		Message: "dbward: blocked by mask_side_channel: this statement reads data your policy masks and sends values out through " + how + ", which dbward cannot mask",
		Hint:    "read the data with a SELECT (its rows are masked), and send what you need in a separate statement"}
}

// sideChannel returns the refusal for statements that read sensitive data
// and call a side-channel function or run a DO block (whose RAISE can
// print anything), or nil.
//
// It runs for every masked statement: the side channel is looked for
// first, and only a statement that has one is asked what it reads (which
// costs allocations).
func sideChannel(stmts []analyze.Statement, cls *mask.Classification) *pgError {
	var how string
	for i := range stmts {
		for _, fn := range stmts[i].Functions {
			if sideChannels[strings.TrimPrefix(fn, "pg_catalog.")] {
				how = fn + "()"
			}
		}
		if stmts[i].Command == "DO" {
			how = "a DO block (RAISE)"
		}
	}
	if how == "" || !readsSensitive(stmts, cls) {
		return nil
	}
	return errSideChannel(how)
}

// launderRefusal refuses an INSERT or UPDATE that would copy data the
// policy masks into a column that does not mask it as such: a later read
// of that column would show it.
// A session writes the same statements again and again: the last write
// found clean is not traced again (ss.cleanWrite).
func (ss *session) launderRefusal(stmts []analyze.Statement, cls *mask.Classification, plan *mask.Plan) *pgError {
	for i := range stmts {
		q := stmts[i].Lineage
		if q == nil || len(q.Written) == 0 {
			continue
		}
		key := cleanWrite{q, cls, plan}
		if ss.cleanWrite == key {
			continue
		}
		what, ok := cls.Launders(q, plan)
		if !ok {
			ss.cleanWrite = key
			continue
		}
		return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
			Message: "dbward: blocked by mask_launder: this statement writes data your policy masks into a column that does not mask it (" + what + ")",
			Hint:    "write such values only into columns classified like their source, or ask for a policy that shows you this data in clear"}
	}
	return nil
}

// cleanWrite is a write found not to launder masked data, under a
// classification and a plan.
type cleanWrite struct {
	q    *lineage.Query
	cls  *mask.Classification
	plan *mask.Plan
}

// statisticsViews hold values of every column: the planner's most common
// values and histogram bounds, and the text of other sessions' statements
// (dbward's sessions share the upstream role, so they see each other's).
var statisticsViews = map[string]string{"pg_stats": "sample values of columns", "pg_statistic": "sample values of columns",
	"pg_stats_ext": "sample values of columns", "pg_stats_ext_exprs": "sample values of columns",
	"pg_statistic_ext_data": "sample values of columns", "pg_stat_activity": "other sessions' statements, with their values",
	"pg_stat_statements": "other sessions' statements, with their values"}

// statisticsFunctions are the functions behind those views.
var statisticsFunctions = map[string]string{"pg_stat_get_activity": "other sessions' statements, with their values",
	"pg_stat_get_backend_activity": "other sessions' statements, with their values",
	"pg_stat_statements":           "other sessions' statements, with their values"}

// statisticsRefusal refuses statements that read the planner's statistics
// in a datastore with classified columns: their sample values would show
// those columns' values in clear.
func statisticsRefusal(stmts []analyze.Statement, cls *mask.Classification) *pgError {
	if !cls.Any() {
		return nil
	}
	for i := range stmts {
		for _, fn := range stmts[i].Functions {
			if what := statisticsFunctions[strings.TrimPrefix(fn, "pg_catalog.")]; what != "" {
				return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
					Message: "dbward: blocked by mask_statistics: " + fn + "() shows " + what + ", which your policy masks",
					Hint:    "ask for a policy that shows you this data in clear"}
			}
		}
		for _, t := range stmts[i].Tables {
			if what := statisticsViews[t.Name]; what != "" && (t.Schema == "" || t.Schema == "pg_catalog" || t.Schema == "public") {
				return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
					Message: "dbward: blocked by mask_statistics: " + t.Name + " holds " + what + ", which your policy masks",
					Hint:    "ask for a policy that shows you this data in clear"}
			}
		}
	}
	return nil
}

// classification loads the datastore's column classification for a plan
// that may mask; quick never waits: ok false means judge again off the
// event loop.
func (ss *session) classification(ctx context.Context, quick bool) (cls *mask.Classification, ok bool, err error) {
	if cls, ok := ss.catalog.CachedClassification(); ok {
		return cls, true, nil
	}
	if quick {
		return nil, false, nil
	}
	cls, err = ss.catalog.Classification(ctx)
	return cls, true, err
}
