package pgwire

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/approval"
)

// An approval is of an effect, not just of a text: when the approved
// request has a preview (approval.Effect), the rows the statement affects
// when it runs are checked against the rows the approvers saw, within the
// policy's tolerance. dbward sends the statement with the extended
// protocol and a Flush, and holds back what would end its transaction
// (the Sync) until the server has said how many rows it affected. Within
// bounds, the Sync follows and the statement commits as usual; outside,
// its CommandComplete is withheld and a failing Parse goes first: the
// server aborts the transaction — the statement's own (autocommit) or the
// client's block — and the client gets why.

// effectCheck is the check of one running statement, filled in by the
// upstream side when the statement ends.
type effectCheck struct {
	want   *approval.Effect
	req    string
	result chan checkResult // buffered: written once
}

type checkResult struct {
	rows   int64
	failed bool // the statement failed by itself: nothing to check
}

// checkPoll is how often a wait for a checked statement's end looks for
// the session having ended (then the end never comes).
const checkPoll = 50 * time.Millisecond

// runChecked forwards a Query, judged as v, whose approval has a preview:
// as Parse, Bind, Describe, Execute and Flush of the unnamed statement (a
// Query replaces it too), then, once its rows are known, a Sync — or, when
// they are outside the approved bounds, the error that rolls it back.
func (ss *session) runChecked(ctx context.Context, out, raw []byte, v *verdict, text string) ([]byte, step, *pgError) {
	seqs, err := ss.recordStatements(v, true)
	if err != nil {
		ss.releaseGrant(v)
		v.refusal = errAuditUnavailable
		return ss.runOrRefuse(out, raw, v, false)
	}
	msgs, _ := (&pgproto3.Parse{Query: text}).Encode(nil)
	ss.flight.forwardedInternal('P', "")
	msgs, _ = (&pgproto3.Bind{}).Encode(msgs)
	ss.flight.forwardedInternal('B', "")
	msgs = appendDescribePortal(msgs, "")
	ss.flight.forwardedDescribe('P', "", false)
	ss.flight.quietNoData() // (a Query that returns no rows says nothing of them)
	msgs, _ = (&pgproto3.Execute{}).Encode(msgs)
	ss.flight.forwarded('E', seqs)
	if v.mask != nil {
		ss.flight.setMask(v.mask, "")
	}
	return ss.awaitCheck(ctx, out, msgs, v, true)
}

// executeChecked forwards an Execute of portal, judged as v, whose
// approval has a preview: with no row limit (the check needs the
// statement's end), then a Flush; once its rows are known, the rest of the
// batch follows — after the error that rolls it back if they are outside
// the approved bounds.
func (ss *session) executeChecked(ctx context.Context, out []byte, portal string, v *verdict) ([]byte, step, *pgError) {
	seqs, err := ss.recordStatements(v, true)
	if err != nil {
		ss.releaseGrant(v)
		return ss.refuseMessage(out, errAuditUnavailable), stepOn, nil
	}
	msgs, _ := (&pgproto3.Execute{Portal: portal}).Encode(nil)
	ss.flight.forwarded('E', seqs)
	if v.mask != nil {
		ss.flight.setMask(v.mask, portal)
	}
	return ss.awaitCheck(ctx, out, msgs, v, false)
}

// awaitCheck sends out and then msgs — which end with the Execute of a
// statement whose approval has a preview — with a Flush, and waits for the
// rows it affected. It returns what follows: nothing, or with sync a Sync,
// after the error that rolls the statement back if its rows are outside
// the approved bounds.
func (ss *session) awaitCheck(ctx context.Context, out, msgs []byte, v *verdict, sync bool) ([]byte, step, *pgError) {
	c := &effectCheck{want: v.check, req: v.approval.Request, result: make(chan checkResult, 1)}
	ss.flight.setCheck(c)
	out = append(out, msgs...)
	out = append(out, 'H', 0, 0, 0, 4) // Flush
	if !ss.sendUp(out) {
		return out[:0], stepOn, nil // (the session is ending)
	}
	out = out[:0]
	var res checkResult
	for wait := true; wait; {
		select {
		case res = <-c.result:
			wait = false
		case <-time.After(checkPoll):
			if ss.ended.Load() || ctx.Err() != nil {
				return out, stepOn, nil
			}
		}
	}
	if !res.failed && !c.want.Allows(res.rows) {
		ss.srv.log.Warn("approved statement's effect differs from its preview; rolled back", "identity", ss.id.Name,
			"datastore", ss.ds.Name, "request", c.req, "rows", res.rows, "approved", c.want.Rows)
		out = ss.refuseMessage(out, effectChanged(c, res.rows))
	}
	if sync {
		out = append(out, 'S', 0, 0, 0, 4)
		ss.flight.forwarded('S', nil)
		out = ss.appendCleanup(out)
	}
	return out, stepOn, nil
}

// effectChanged is what a client gets for an approved statement that
// affected other rows than its approvers saw.
func effectChanged(c *effectCheck, rows int64) *pgError {
	bounds := fmt.Sprintf("%d", c.want.Rows)
	if c.want.MinRows != c.want.MaxRows {
		bounds = fmt.Sprintf("%d (%d to %d allowed)", c.want.Rows, c.want.MinRows, c.want.MaxRows)
	}
	return &pgError{Severity: "ERROR", Code: codeInsufficientPrivilege,
		Message: fmt.Sprintf("dbward: the approved statement affected %d rows, but request %s approved %s: it was rolled back", rows, c.req, bounds),
		Detail:  "The approvers saw: " + c.want.Summary + ".",
		Hint:    "the data changed since the preview; send the statement again to ask for a new approval"}
}

// sendUp writes b to the upstream out of turn, from the client side.
func (ss *session) sendUp(b []byte) bool {
	if h := ss.hooks.Load(); h != nil {
		return h.send(b)
	}
	_, err := ss.up.Write(b)
	return err == nil
}
