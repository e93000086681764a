package audit

import (
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the event's stable JSON encoding to b (see Event for
// the rules) and returns the extended slice. It allocates nothing when b
// has room and Intent is empty.
//
// AppendJSON writes the event exactly as given: it neither fills in ID or
// Time nor applies the size limits; Append does both.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"time":`...)
	b = appendTime(b, e.Time)
	b = append(b, `,"type":`...)
	b = appendString(b, string(e.Type))
	return e.appendRest(b, -1)
}

// appendRest appends everything after "type" and the closing brace. Strings
// longer than limit bytes are cut (limit < 0: no limit; Statement.Text has
// its own limit, MaxTextBytes, when limit >= 0).
func (e *Event) appendRest(b []byte, limit int) []byte {
	b = appendStringField(b, "session", e.Session, limit)
	if e.StatementSeq != 0 {
		b = append(b, `,"statement_seq":`...)
		b = strconv.AppendUint(b, e.StatementSeq, 10)
	}
	if !e.Identity.isZero() {
		b = append(b, `,"identity":{`...)
		n := len(b)
		b = appendStringField(b, "name", e.Identity.Name, limit)
		b = appendStringField(b, "kind", e.Identity.Kind, limit)
		b = appendStringField(b, "owner", e.Identity.Owner, limit)
		b = appendStringField(b, "fingerprint", e.Identity.Fingerprint, limit)
		if len(e.Identity.Groups) > 0 {
			b = append(b, `,"groups":[`...)
			for i, g := range capList(e.Identity.Groups, limit) {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, cut(g, limit))
			}
			b = append(b, ']')
		}
		b = closeObject(b, n)
	}
	b = appendStringField(b, "auth_method", e.AuthMethod, limit)
	b = appendStringField(b, "datastore", e.Datastore, limit)
	b = appendStringField(b, "environment", e.Environment, limit)
	if e.Client != (Client{}) {
		b = append(b, `,"client":{`...)
		n := len(b)
		b = appendStringField(b, "addr", e.Client.Addr, limit)
		b = appendStringField(b, "application_name", e.Client.ApplicationName, limit)
		b = closeObject(b, n)
	}
	if !e.Statement.isZero() {
		s := &e.Statement
		b = append(b, `,"statement":{`...)
		n := len(b)
		text, truncated := s.Text, s.TextTruncated
		if limit >= 0 && len(text) > MaxTextBytes {
			text, truncated = cut(text, MaxTextBytes), true
		}
		b = appendStringField(b, "text", text, -1)
		b = appendBoolField(b, "full_text", s.FullText)
		b = appendBoolField(b, "text_truncated", truncated)
		b = appendStringField(b, "fingerprint", s.Fingerprint, limit)
		b = appendStringField(b, "kind", s.Kind, limit)
		b = appendStringField(b, "command", s.Command, limit)
		if len(s.Tables) > 0 {
			b = append(b, `,"tables":[`...)
			for i, t := range capList(s.Tables, limit) {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '{')
				m := len(b)
				b = appendStringField(b, "schema", t.Schema, limit)
				b = append(b, `,"name":`...)
				b = appendString(b, cut(t.Name, limit))
				b = appendStringField(b, "access", t.Access, limit)
				b = closeObject(b, m)
			}
			b = append(b, ']')
		}
		b = closeObject(b, n)
	}
	if e.Decision != (Decision{}) {
		b = append(b, `,"decision":{`...)
		n := len(b)
		b = appendStringField(b, "action", e.Decision.Action, limit)
		b = appendStringField(b, "rule", e.Decision.Rule, limit)
		b = appendStringField(b, "reason", e.Decision.Reason, limit)
		b = closeObject(b, n)
	}
	if len(e.Intent) > 0 {
		b = append(b, `,"intent":{`...)
		keys := make([]string, 0, len(e.Intent))
		for k := range e.Intent {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range capList(keys, limit) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, cut(k, limit))
			b = append(b, ':')
			b = appendString(b, cut(e.Intent[k], limit))
		}
		b = append(b, '}')
	}
	if e.Outcome != (Outcome{}) {
		b = e.Outcome.appendField(b, limit)
	}
	if e.Change != (Change{}) {
		b = append(b, `,"change":{`...)
		n := len(b)
		b = appendStringField(b, "source", e.Change.Source, limit)
		b = appendStringField(b, "digest", e.Change.Digest, limit)
		b = appendStringField(b, "error", e.Change.Error, limit)
		b = closeObject(b, n)
	}
	if e.Approval != (Approval{}) {
		b = append(b, `,"approval":{`...)
		n := len(b)
		b = appendStringField(b, "request", e.Approval.Request, limit)
		b = appendStringField(b, "vote", e.Approval.Vote, limit)
		b = appendStringField(b, "state", e.Approval.State, limit)
		b = appendStringField(b, "grant", e.Approval.Grant, limit)
		b = appendStringField(b, "comment", e.Approval.Comment, limit)
		b = closeObject(b, n)
	}
	b = appendStringField(b, "reason", e.Reason, limit)
	b = appendBoolField(b, "delayed", e.Delayed)
	return append(b, '}')
}

// appendField appends o as an event's "outcome" field, comma first. It is
// also what Trail.FoldOutcome splices into a statement record.
func (o *Outcome) appendField(b []byte, limit int) []byte {
	b = append(b, `,"outcome":{`...)
	n := len(b)
	b = appendStringField(b, "tag", o.Tag, limit)
	b = append(b, `,"rows":`...)
	b = strconv.AppendInt(b, o.Rows, 10)
	b = append(b, `,"duration_ns":`...)
	b = strconv.AppendInt(b, int64(o.Duration), 10)
	b = appendStringField(b, "sqlstate", o.SQLState, limit)
	if o.MaskedColumns != 0 {
		b = append(b, `,"masked_columns":`...)
		b = strconv.AppendInt(b, int64(o.MaskedColumns), 10)
	}
	return closeObject(b, n)
}

// foldable reports whether an outcome could be folded into e's record
// (Trail.FoldOutcome): a statement without an outcome and without any of
// the fields encoded after "outcome" (change, approval, reason, delayed), so that
// the outcome belongs just before the record's closing brace.
func (e *Event) foldable() bool {
	return e.Type == TypeStatement && e.Outcome == (Outcome{}) && e.Change == (Change{}) && e.Approval == (Approval{}) && e.Reason == "" && !e.Delayed
}

func (i *Identity) isZero() bool {
	return i.Name == "" && i.Kind == "" && i.Owner == "" && i.Fingerprint == "" && len(i.Groups) == 0
}

func (s *Statement) isZero() bool {
	return s.Text == "" && !s.FullText && !s.TextTruncated && s.Fingerprint == "" && s.Kind == "" &&
		s.Command == "" && len(s.Tables) == 0
}

// appendRecordEvent appends the event as a record stores it: ID and Time
// filled in when zero (id and now), strings and lists cut to the limits, and
// an event that would still not fit replaced by its essentials (shortened).
func appendRecordEvent(b []byte, e *Event, now time.Time) (_ []byte, shortened bool) {
	start := len(b)
	b = append(b, `{"id":`...)
	if e.ID == "" {
		b = appendUUIDv7(b, now)
	} else {
		b = appendString(b, cut(e.ID, maxStringBytes))
	}
	b = append(b, `,"time":`...)
	t := e.Time
	if t.IsZero() {
		t = now
	}
	b = appendTime(b, t)
	b = append(b, `,"type":`...)
	b = appendString(b, cut(string(e.Type), maxStringBytes))
	head := len(b)
	b = e.appendRest(b, maxStringBytes)
	if len(b)-start <= maxEventBytes {
		return b, false
	}
	// Still too large (many long, heavily escaped strings): keep what
	// identifies the event and say so.
	short := Event{
		Session:      cut(e.Session, 256),
		StatementSeq: e.StatementSeq,
		Identity:     Identity{Name: cut(e.Identity.Name, 256), Kind: cut(e.Identity.Kind, 64)},
		Datastore:    cut(e.Datastore, 256),
		Statement: Statement{
			TextTruncated: e.Statement.Text != "",
			Fingerprint:   cut(e.Statement.Fingerprint, 64),
			Kind:          cut(e.Statement.Kind, 64),
			Command:       cut(e.Statement.Command, 64),
		},
		Decision: Decision{Action: cut(e.Decision.Action, 64), Rule: cut(e.Decision.Rule, 256)},
		Outcome:  e.Outcome,
		Reason:   "record cut to its essentials: the full event exceeded " + strconv.Itoa(maxEventBytes) + " bytes",
	}
	short.Outcome.Tag = cut(short.Outcome.Tag, 64)
	short.Outcome.SQLState = cut(short.Outcome.SQLState, 16)
	return short.appendRest(b[:head], 256), true
}

// appendUUIDv7 appends a quoted RFC 9562 version 7 UUID: 48 bits of Unix
// milliseconds, then 74 random bits.
func appendUUIDv7(b []byte, now time.Time) []byte {
	var u [16]byte
	ms := uint64(now.UnixMilli())
	r1, r2 := rand.Uint64(), rand.Uint64()
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(r1>>8)&0x0f
	u[7] = byte(r1)
	u[8] = 0x80 | byte(r2>>56)&0x3f
	for i := 9; i < 16; i++ {
		u[i] = byte(r2 >> (8 * (15 - i)))
	}
	b = append(b, '"')
	var h [36]byte
	hex.Encode(h[0:8], u[0:4])
	h[8] = '-'
	hex.Encode(h[9:13], u[4:6])
	h[13] = '-'
	hex.Encode(h[14:18], u[6:8])
	h[18] = '-'
	hex.Encode(h[19:23], u[8:10])
	h[23] = '-'
	hex.Encode(h[24:], u[10:])
	b = append(b, h[:]...)
	return append(b, '"')
}

// appendTime appends t in UTC as encoding/json does (RFC 3339, nanoseconds
// without trailing zeros).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// closeObject drops the comma that the first field after position n wrote.
func closeObject(b []byte, n int) []byte {
	if len(b) > n && b[n] == ',' {
		copy(b[n:], b[n+1:])
		b = b[:len(b)-1]
	}
	return append(b, '}')
}

func appendStringField(b []byte, key, v string, limit int) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, cut(v, limit))
}

func appendBoolField(b []byte, key string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, `":true`...)
}

// cut returns s cut to at most n bytes at a UTF-8 boundary (n < 0: s).
func cut(s string, n int) string {
	if n < 0 || len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func capList[T any](l []T, limit int) []T {
	if limit >= 0 && len(l) > maxListItems {
		return l[:maxListItems]
	}
	return l
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are
// escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
