package pgwire

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"sync"

	"github.com/dbward/dbward/internal/mask"
)

// inflight follows the protocol far enough to tie every result the
// upstream sends to the statement it belongs to: the audit trail records
// each statement's outcome (command tag, rows, SQLSTATE, duration), and the
// extended protocol runs statements at Execute, by portal, long after the
// Parse that was judged.
//
// The client side records what it forwards (forwarded); the upstream side
// consumes the answers (answer). PostgreSQL answers the messages of a
// connection in order, and after an error skips everything up to the next
// Sync, so a queue of the forwarded messages that get an answer is enough.
// Both sides run on one goroutine at a time in the event loop, and on two
// in the goroutine relay: the queue is guarded by mu there.
type inflight struct {
	mu    sync.Mutex
	queue []awaited
	clock func() int64 // ns, monotonic; nil: monoNow. Read only when a recorded statement starts or ends

	tr         *mask.Transformer // masks values
	portalCols map[string][]byte // the RowDescription a Describe of a portal answered (nil: NoData)
	described  map[string]bool   // portals described since their Bind (answered or not)

	// defined: what completed statements defined in the session, for the
	// client side to take (session.applyDefinitions).
	defined []definition

	// private: dbward's own statements now on the server, and the client's
	// names for them, which the server's errors say instead.
	private map[string]string

	// The last Result built, kept to serve the next result set like it.
	last     *mask.Result
	lastMask *maskCtx
	lastStmt int
	lastDesc []byte
}

// awaited is one forwarded message the upstream will answer.
type awaited struct {
	typ   byte       // the client message: 'Q', 'P', 'B', 'D', 'E', 'C', 'S'
	seqs  []recorded // the audit records of what it runs: 'Q' its statements, 'E' one
	next  int        // 'Q': how many of seqs have completed
	stmt  int        // 'Q': how many of its statements have completed
	rows  int64      // rows returned so far by the statement now running
	start int64      // when it was forwarded or the previous statement ended (ns)

	mask   *maskCtx     // how its results are masked; nil: not at all
	defs   []definition // what its statements define once they complete
	result *mask.Result // the result set now arriving ('Q', 'E'), with mask
	copy   *mask.Copy   // the COPY … TO STDOUT rows now arriving, with mask
	// copyWithheld: those rows cannot be masked; the client gets an error
	// for the COPY instead.
	copyWithheld bool
	portal       string // 'E': the portal it runs; 'D': the portal or statement described
	describe     byte   // 'D': 'P' portal or 'S' statement
	internal     bool   // 'D', 'P', 'C': sent by dbward, not the client: its answer is not relayed
	// 'P': the client's Parse of a statement that waits for approval, and
	// its name: forgotten if the server refuses or skips the Parse.
	pending *parsedStmt
	name    string // ('C' internal: the private statement it closes)
	// quiet: 'D' of a Query sent as Execute: a NoData is not relayed.
	quiet bool
	// check: 'E' of an approved statement whose rows are checked against
	// its preview (effect_check.go).
	check *effectCheck
}

// recorded is where a statement is in the audit trail.
type recorded struct {
	seq     uint64 // its number in the session (audit.Event.StatementSeq)
	journal uint64 // its record's in the journal, for audit.Trail.FoldOutcome
}

// outcome is how one recorded statement ended.
type outcome struct {
	recorded
	tag      string
	rows     int64
	sqlstate string
	duration int64 // ns
	masked   int   // columns with a masked value
}

// forwarded notes a client message that the upstream will answer. Messages
// that get no answer of their own (Flush, COPY data, Terminate) are not
// noted.
func (f *inflight) forwarded(typ byte, seqs []recorded) {
	switch typ {
	case 'Q', 'P', 'B', 'D', 'E', 'C', 'S':
		a := awaited{typ: typ, seqs: seqs}
		if len(seqs) > 0 {
			a.start = f.now()
		}
		f.mu.Lock()
		f.queue = append(f.queue, a)
		f.mu.Unlock()
	}
}

func (f *inflight) now() int64 {
	if f.clock != nil {
		return f.clock()
	}
	return monoNow()
}

// answer consumes one upstream message. It returns the outcome of a
// recorded statement when the message ends one.
func (f *inflight) answer(typ byte, raw []byte) (o outcome, ok bool, m maskStep) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return outcome{}, false, m // an asynchronous message, or one we do not follow
	}
	head := &f.queue[0]
	switch typ {
	case 'D': // DataRow
		head.rows++
		if head.mask != nil {
			m = f.rowsOf(head)
		}
	case 'N': // NoticeResponse, while a statement runs
		if head.mask != nil {
			m.message = head.mask
		}
	case 'H': // CopyOutResponse: COPY … TO STDOUT rows follow
		if head.mask != nil {
			var ok bool
			head.copy, ok = f.copyOf(head, raw)
			head.copyWithheld = !ok
			m.swallow = !ok
		}
	case 'd', 'c': // CopyData, CopyDone of a COPY … TO STDOUT
		switch {
		case head.copyWithheld:
			m.swallow = true
		case typ == 'd' && head.copy.Active():
			m.copy = head.copy
		}
	case 'C', 'I': // CommandComplete, EmptyQueryResponse
		if head.result.Refused() || head.copyWithheld {
			m.refuse = true
		}
		tag := ""
		if typ == 'C' {
			tag = commandTag(raw)
		}
		if c := head.check; c != nil {
			rows := max(rowsOf(tag), 0)
			m.swallow = !c.want.Allows(rows) // (the error that rolls it back stands for it)
			c.result <- checkResult{rows: rows}
			head.check = nil
		}
		o, ok = f.complete(head, tag, "", false)
		return o, ok, m
	case 's': // PortalSuspended: the Execute ends, the portal lives on
		o, ok = f.complete(head, "PORTAL SUSPENDED", "", false)
		return o, ok, m
	case 'E': // ErrorResponse
		if head.mask != nil {
			m.message = head.mask
		}
		if c := head.check; c != nil {
			c.result <- checkResult{failed: true}
			head.check = nil
		}
		o, ok = f.complete(head, "", errorCode(raw), true)
		if head.typ != 'Q' {
			// The upstream skips everything up to the next Sync.
			i := 0
			for i < len(f.queue) && f.queue[i].typ != 'S' {
				if p := f.queue[i].pending; p != nil {
					f.defined = append(f.defined, definition{unparsed: f.queue[i].name, unparsedStmt: p})
				}
				if c := f.queue[i].check; c != nil { // (skipped: it never ran)
					c.result <- checkResult{failed: true}
				}
				i++
			}
			f.drop(i)
		} else {
			head.next = len(head.seqs) // the rest of the string does not run
		}
		return o, ok, m
	case '1', '2', '3': // ParseComplete, BindComplete, CloseComplete
		if head.typ == 'P' || head.typ == 'B' || head.typ == 'C' {
			m.swallow = head.internal
			if head.typ == 'C' && head.name != "" {
				delete(f.private, head.name)
			}
			f.drop(1)
		}
	case 'T', 'n': // RowDescription, NoData: the end of a Describe's answer
		switch {
		case head.typ == 'D':
			m = f.described1(head, raw)
			m.swallow = m.swallow || head.quiet && typ == 'n'
			f.drop(1)
		case head.typ == 'Q' && head.mask != nil && typ == 'T':
			m = f.resultOf(head, raw)
		}
	case 'Z': // ReadyForQuery: a Sync or a Query is answered in full
		i := 0
		for i < len(f.queue) && f.queue[i].typ != 'S' && f.queue[i].typ != 'Q' {
			i++
		}
		f.drop(min(i+1, len(f.queue)))
	}
	return outcome{}, false, m
}

// complete ends the statement now returning results at the head of the
// queue: the next of a Query's, or an Execute's (which leaves the queue).
func (f *inflight) complete(head *awaited, tag, sqlstate string, failed bool) (outcome, bool) {
	var now int64
	if len(head.seqs) > 0 {
		now = f.now()
	}
	o := outcome{tag: tag, rows: head.rows, sqlstate: sqlstate, duration: now - head.start,
		masked: head.result.MaskedColumns() + head.copy.MaskedColumns()}
	head.result, head.copy, head.copyWithheld = nil, nil, false
	if !failed {
		for _, d := range head.defs {
			if d.stmt == head.stmt || head.typ == 'E' {
				f.defined = append(f.defined, d)
			}
		}
	}
	head.stmt++
	if n := rowsOf(tag); n >= 0 {
		o.rows = n
	}
	switch head.typ {
	case 'Q':
		if head.next < len(head.seqs) {
			o.recorded = head.seqs[head.next]
			head.next++
		}
	case 'E':
		if len(head.seqs) > 0 {
			o.recorded = head.seqs[0]
		}
	}
	head.rows = 0
	head.start = now // the next statement of a Query starts when this one ends
	if head.typ == 'E' && !failed {
		f.drop(1) // (after an error, answer drops up to the Sync)
	}
	return o, o.seq != 0
}

func (f *inflight) drop(n int) {
	k := copy(f.queue, f.queue[n:])
	clear(f.queue[k:])
	f.queue = f.queue[:k]
}

// commandTag is a CommandComplete's tag.
func commandTag(raw []byte) string {
	body := raw[5:]
	if i := bytes.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	return string(body)
}

// errorCode is an ErrorResponse's SQLSTATE (field 'C').
func errorCode(raw []byte) string {
	body := raw[5:]
	for len(body) > 1 && body[0] != 0 {
		field := body[0]
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			return ""
		}
		if field == 'C' {
			return string(body[1 : 1+end])
		}
		body = body[end+2:]
	}
	return ""
}

// rowsOf is the row count a command tag reports ("INSERT 0 5", "DELETE 3",
// "SELECT 7"), or -1 when it reports none.
func rowsOf(tag string) int64 {
	i := len(tag)
	for i > 0 && tag[i-1] >= '0' && tag[i-1] <= '9' {
		i--
	}
	if i == len(tag) || i == 0 || tag[i-1] != ' ' {
		return -1
	}
	n, err := strconv.ParseInt(tag[i:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// setDefinitions gives the message just forwarded what its statements
// define once they complete.
func (f *inflight) setDefinitions(defs []definition) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.queue); n > 0 {
		f.queue[n-1].defs = defs
	}
}

// takeDefined returns, and forgets, what completed statements defined.
func (f *inflight) takeDefined() []definition {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.defined
	f.defined = nil
	return d
}

// forwardedParse notes the client's Parse of a statement that waits for
// approval, p, as name: if the server refuses or skips it, the client side
// forgets p (session.applyDefinitions).
func (f *inflight) forwardedParse(name string, p *parsedStmt) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, awaited{typ: 'P', pending: p, name: name})
}

// forwardedInternal notes a Parse or Close of dbward's own, whose answer
// the client does not get. A Close names the private statement it closes.
func (f *inflight) forwardedInternal(typ byte, closes string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, awaited{typ: typ, internal: true, name: closes})
}

// hidePrivate notes that private statement priv stands for the client's
// statement name until it is closed: the server's errors name it so.
func (f *inflight) hidePrivate(priv, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.private == nil {
		f.private = map[string]string{}
	}
	f.private[priv] = name
}

// unprivate rewrites the names of private statements an ErrorResponse or
// NoticeResponse tells, to the client's names for them.
func (f *inflight) unprivate(raw []byte) []byte {
	if !bytes.Contains(raw, []byte(privatePrefix)) { // (almost always: no lock taken)
		return raw
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.private) == 0 {
		return raw
	}
	out := raw
	for priv, name := range f.private {
		out = bytes.ReplaceAll(out, []byte(priv), []byte(name))
	}
	out = bytes.Clone(out)
	binary.BigEndian.PutUint32(out[1:5], uint32(len(out)-1))
	return out
}

// quietNoData makes the Describe just forwarded relay a RowDescription
// only: it stands for a Query's, which says nothing of a statement that
// returns no rows.
func (f *inflight) quietNoData() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.queue); n > 0 {
		f.queue[n-1].quiet = true
	}
}

// setCheck gives the Execute just forwarded its effect check.
func (f *inflight) setCheck(c *effectCheck) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.queue); n > 0 {
		f.queue[n-1].check = c
	}
}
