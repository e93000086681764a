package mask

import (
	"bytes"

	"github.com/dbward/dbward/internal/mask/detect"
)

// PostgreSQL puts values in its messages: `invalid input syntax for type
// integer: "536-22-8726"` for SELECT ssn::int, `Key (email)=(jane@…)
// already exists.`, `Failing row contains (…)`, and whatever a function
// RAISEs. For a session whose results are masked, an ErrorResponse or
// NoticeResponse is rewritten too: the values a data exception (class 22)
// quotes in its message and context, and the detail of a data exception or
// a constraint violation (class 23, whose message quotes only names), are
// withheld; what the content detectors find in any message, detail, hint
// or context is masked as the plan says.

// withheldDetail replaces the detail of a data exception or constraint
// violation.
const withheldDetail = "dbward: the detail is withheld: it may hold values your policy masks"

// withheldRaise replaces what user code RAISEs.
const withheldRaise = "dbward: the message is withheld: it may hold values your policy masks"

// Message appends the ErrorResponse or NoticeResponse raw (type byte,
// length, fields) rewritten as above. strict is for a statement that reads
// classified data or calls code dbward cannot see into: then what any
// message quotes is withheld, and so is all that user code RAISEs (its
// own words could carry any value). A message that does not parse is
// appended as a bare error saying so, never as it was.
func Message(dst, raw []byte, plan *Plan, tr *Transformer, strict bool) []byte {
	start := len(dst)
	dst = append(dst, raw[0], 0, 0, 0, 0)
	if len(raw) < 6 {
		return malformedMessage(dst[:start], raw[0])
	}
	var class22, class23, raised bool
	for body := raw[5:]; len(body) > 0 && body[0] != 0; {
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			return malformedMessage(dst[:start], raw[0])
		}
		if body[0] == 'C' {
			code := body[1 : 1+end]
			class22 = len(code) == 5 && bytes.HasPrefix(code, []byte("22"))
			class23 = len(code) == 5 && bytes.HasPrefix(code, []byte("23"))
			// RAISE: P0001 (EXCEPTION), 00000 and 01000 (NOTICE, WARNING…).
			raised = string(code) == "P0001" || string(code) == "00000" || string(code) == "01000"
		}
		body = body[1+end+1:]
	}
	var findings []detect.Finding
	strategyFor := func(c detect.Class) Strategy { return plan.Strategy(c, "") }
	for body := raw[5:]; len(body) > 0 && body[0] != 0; {
		end := bytes.IndexByte(body[1:], 0)
		typ, v := body[0], body[1:1+end]
		body = body[1+end+1:]
		dst = append(dst, typ)
		switch typ {
		case 'M', 'D', 'H', 'W':
			switch {
			case strict && raised && typ != 'W':
				v = []byte(withheldRaise)
			case typ == 'D' && (class22 || class23 || strict):
				v = []byte(withheldDetail)
			case (typ == 'M' || typ == 'W') && strict:
				// Numbers too: time field value out of range: 536:22:8726.
				v = withholdDigits(withholdQuoted(v))
			case (typ == 'M' || typ == 'W') && class22:
				v = withholdQuoted(v)
			}
			findings = detect.Scan(findings[:0], v, "")
			masked := false
			for _, f := range findings {
				if plan.Strategy(f.Class, "") != Clear {
					masked = true
					break
				}
			}
			if masked {
				dst = tr.Spans(dst, v, findings, strategyFor)
			} else {
				dst = append(dst, v...)
			}
		default:
			dst = append(dst, v...)
		}
		dst = append(dst, 0)
	}
	dst = append(dst, 0)
	putLength(dst[start:])
	return dst
}

// withholdQuoted replaces what a message quotes ("…") by ****.
func withholdQuoted(v []byte) []byte {
	if bytes.IndexByte(v, '"') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			return append(out, v...)
		}
		j := bytes.IndexByte(v[i+1:], '"')
		if j < 0 {
			return append(out, v...)
		}
		out = append(append(out, v[:i]...), `"****"`...)
		v = v[i+1+j+1:]
	}
}

// withholdDigits replaces every digit by *.
func withholdDigits(v []byte) []byte {
	if bytes.IndexAny(v, "0123456789") < 0 {
		return v
	}
	out := bytes.Clone(v)
	for i, c := range out {
		if c >= '0' && c <= '9' {
			out[i] = '*'
		}
	}
	return out
}

// malformedMessage appends an error saying a message could not be read.
func malformedMessage(dst []byte, typ byte) []byte {
	start := len(dst)
	dst = append(dst, typ, 0, 0, 0, 0)
	dst = append(dst, "SERROR\x00CXX000\x00Mdbward: a message from the database could not be read, so it was not passed on\x00\x00"...)
	putLength(dst[start:])
	return dst
}

// putLength sets a message's length field from its size.
func putLength(m []byte) {
	n := uint32(len(m) - 1)
	m[1], m[2], m[3], m[4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}
