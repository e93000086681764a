package pgwire

import (
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgproto3"
)

// denials turn a refused statement into an error the upstream itself
// raises, so that everything a server error implies happens exactly as on a
// direct connection: the error arrives in its place among pipelined
// results, an open transaction block is left aborted (a later COMMIT rolls
// back), the extended protocol skips to the next Sync, and ReadyForQuery
// reports the true state.
//
// In place of the statement, dbward sends a "poison" text that cannot run
// — a bare identifier, a syntax error — carrying a per-session nonce and a
// sequence number. The upstream answers with a syntax error naming it; the
// server-to-client relay recognises the token and replaces that error with
// dbward's own (42501 and the rule). If an earlier error in the same
// pipeline makes the upstream skip the poison, nothing is reported for it,
// just as the server would have skipped the real statement.
type denials struct {
	once    sync.Once
	prefix  string // "dbward_blocked_<nonce>_"
	mu      sync.Mutex
	seq     uint64
	pending map[uint64]*pgError
	count   atomic.Int32 // len(pending), read without the lock
}

// maxPendingDenials bounds poisons the upstream skipped and never reported.
const maxPendingDenials = 1024

func (d *denials) init() {
	d.once.Do(func() {
		d.prefix = "dbward_blocked_" + strings.ToLower(rand.Text()[:12]) + "_"
		d.pending = map[uint64]*pgError{}
	})
}

// token registers e and returns the identifier that stands for it.
func (d *denials) token(e *pgError) string {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	if len(d.pending) >= maxPendingDenials {
		for k := range d.pending {
			if k+maxPendingDenials < d.seq {
				delete(d.pending, k)
			}
		}
	}
	d.pending[d.seq] = e
	d.count.Store(int32(len(d.pending)))
	return d.prefix + strconv.FormatUint(d.seq, 10)
}

// appendQuery appends a simple-protocol Query that fails with e.
func (d *denials) appendQuery(dst []byte, e *pgError) []byte {
	b, _ := (&pgproto3.Query{String: "/* dbward: statement refused */ " + d.token(e)}).Encode(dst)
	return b
}

// appendParse appends a Parse of statement name that fails with e.
func (d *denials) appendParse(dst []byte, name string, e *pgError) []byte {
	b, _ := (&pgproto3.Parse{Name: name, Query: "/* dbward: statement refused */ " + d.token(e)}).Encode(dst)
	return b
}

// rewrite returns the client's version of an upstream ErrorResponse: the
// denial it stands for, or raw itself.
func (d *denials) rewrite(dst, raw []byte) []byte {
	if d.count.Load() == 0 {
		return append(dst, raw...)
	}
	var m pgproto3.ErrorResponse
	if err := m.Decode(raw[5:]); err != nil || m.Code != codeSyntaxError {
		return append(dst, raw...)
	}
	i := strings.Index(m.Message, d.prefix)
	if i < 0 {
		return append(dst, raw...)
	}
	digits := m.Message[i+len(d.prefix):]
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	seq, err := strconv.ParseUint(digits[:end], 10, 64)
	if err != nil {
		return append(dst, raw...)
	}
	d.mu.Lock()
	e := d.pending[seq]
	delete(d.pending, seq)
	d.count.Store(int32(len(d.pending)))
	d.mu.Unlock()
	if e == nil {
		return append(dst, raw...)
	}
	return e.appendTo(dst)
}
