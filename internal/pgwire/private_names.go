package pgwire

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"

	"github.com/dbward/dbward/internal/approval"
)

// Statements that wait for approval reach the server through the extended
// protocol under names only dbward knows: a Parse of one is forwarded under
// a fresh private name, a Bind of it makes a portal of a fresh private name,
// and the client's Bind, Describe, Execute and Close of its own names are
// renamed on the way. What the server holds under a client's name is then
// always something dbward let through as it is, and a private name is only
// ever used for the statement dbward judged under it. Were dbward's view of
// the session's names to go stale — a Close or Parse the server skipped
// after an error, a DEALLOCATE that failed — the worst outcome is a private
// name the server does not have: an error, never a statement that waits
// for approval running as something else.

// privateName is a fresh name the client cannot guess.
func privateName() string {
	var b [12]byte
	rand.Read(b[:])
	return "dbward_" + hex.EncodeToString(b[:])
}

// renamed returns a copy of the message raw whose names are replaced: the
// first len(names) NUL-terminated strings after skip bytes of its body, in
// order; an empty replacement keeps the name. ok is false when raw does
// not hold that many strings.
func renamed(raw []byte, skip int, names ...string) (_ []byte, ok bool) {
	body := raw[5:]
	if len(body) < skip {
		return nil, false
	}
	out := make([]byte, 0, len(raw)+len(names)*32)
	out = append(out, raw[0], 0, 0, 0, 0)
	out = append(out, body[:skip]...)
	rest := body[skip:]
	for _, n := range names {
		old, r, ok := cstring(rest)
		if !ok {
			return nil, false
		}
		if n == "" {
			n = old
		}
		out = append(append(out, n...), 0)
		rest = r
	}
	out = append(out, rest...)
	binary.BigEndian.PutUint32(out[1:5], uint32(len(out)-1))
	return out, true
}

// appendClose appends a Close of a prepared statement.
func appendClose(out []byte, stmt string) []byte { return appendNamed(out, 'C', 'S', stmt) }

// appendNamed appends a message of type typ whose body is kind and a name:
// Close and Describe.
func appendNamed(out []byte, typ, kind byte, name string) []byte {
	out = append(out, typ)
	out = binary.BigEndian.AppendUint32(out, uint32(4+1+len(name)+1))
	out = append(out, kind)
	out = append(out, name...)
	return append(out, 0)
}

// bindParams reads a Bind's parameter values, each with its format, for
// an approval request: an approval is of the statement with its values.
func bindParams(raw []byte) ([]approval.Param, bool) {
	_, rest, ok := cstring(raw[5:])
	if !ok {
		return nil, false
	}
	if _, rest, ok = cstring(rest); !ok {
		return nil, false
	}
	u16 := func() (int, bool) {
		if len(rest) < 2 {
			return 0, false
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		return n, true
	}
	nf, ok := u16()
	if !ok || len(rest) < 2*nf {
		return nil, false
	}
	formats := make([]int16, nf)
	for i := range formats {
		formats[i] = int16(binary.BigEndian.Uint16(rest[2*i:]))
	}
	rest = rest[2*nf:]
	np, ok := u16()
	if !ok || (nf > 1 && nf != np) {
		return nil, false
	}
	params := make([]approval.Param, np)
	for i := range params {
		if len(rest) < 4 {
			return nil, false
		}
		n := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		switch {
		case nf == 1:
			params[i].Format = formats[0]
		case nf > 1:
			params[i].Format = formats[i]
		}
		if n < 0 {
			params[i].Null = true
			continue
		}
		if int(n) > len(rest) {
			return nil, false
		}
		params[i].Value = append([]byte(nil), rest[:n]...)
		rest = rest[n:]
	}
	return params, true
}
