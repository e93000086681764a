package mask

import (
	"encoding/binary"
	"errors"
)

// Column is what a RowDescription says of one result column: where it
// comes from (Table and Attnum are zero when PostgreSQL cannot tell: an
// expression, a function, a cast, a set operation) and how its values are
// sent.
type Column struct {
	Name   string
	Table  uint32 // pg_class OID of the source table or view, 0: none
	Attnum int16  // the source column's attribute number, 0: none
	Type   uint32 // pg_type OID of the values
	Format int16  // 0 text, 1 binary
}

// ErrMalformed is returned for a RowDescription or DataRow that does not
// hold together.
var ErrMalformed = errors.New("mask: malformed message")

// ParseRowDescription reads the columns of a RowDescription message (raw:
// type byte, length, body), appending them to dst. Formats are as the
// message says: a RowDescription answering a Describe of a statement says
// 0 for every column, and the Bind that makes a portal of it chooses the
// real ones (WithFormats).
func ParseRowDescription(dst []Column, raw []byte) ([]Column, error) {
	if len(raw) < 7 || raw[0] != 'T' {
		return dst, ErrMalformed
	}
	body := raw[5:]
	n := int(int16(binary.BigEndian.Uint16(body)))
	if n < 0 {
		return dst, ErrMalformed
	}
	body = body[2:]
	for range n {
		end := -1
		for i, c := range body {
			if c == 0 {
				end = i
				break
			}
		}
		if end < 0 || len(body) < end+1+18 {
			return dst, ErrMalformed
		}
		name := string(body[:end])
		f := body[end+1:]
		dst = append(dst, Column{
			Name:   name,
			Table:  binary.BigEndian.Uint32(f[0:]),
			Attnum: int16(binary.BigEndian.Uint16(f[4:])),
			Type:   binary.BigEndian.Uint32(f[6:]),
			Format: int16(binary.BigEndian.Uint16(f[16:])),
		})
		body = f[18:]
	}
	if len(body) != 0 {
		return dst, ErrMalformed
	}
	return dst, nil
}

// WithFormats returns cols with the result formats a Bind asked for:
// none means text for all, one applies to all, otherwise one per column
// (PostgreSQL refuses a Bind whose count matches neither).
func WithFormats(cols []Column, formats []int16) []Column {
	out := make([]Column, len(cols))
	copy(out, cols)
	for i := range out {
		switch {
		case len(formats) == 0:
			out[i].Format = 0
		case len(formats) == 1:
			out[i].Format = formats[0]
		case i < len(formats):
			out[i].Format = formats[i]
		}
	}
	return out
}

// BindResultFormats reads the result-column format codes of a Bind message
// (raw: type byte, length, body).
func BindResultFormats(raw []byte) ([]int16, error) {
	if len(raw) < 5 || raw[0] != 'B' {
		return nil, ErrMalformed
	}
	b := raw[5:]
	for range 2 { // portal and statement names
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i == len(b) {
			return nil, ErrMalformed
		}
		b = b[i+1:]
	}
	skipCodes := func() bool {
		if len(b) < 2 {
			return false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+2*n {
			return false
		}
		b = b[2+2*n:]
		return true
	}
	if !skipCodes() || len(b) < 2 {
		return nil, ErrMalformed
	}
	params := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	for range params {
		if len(b) < 4 {
			return nil, ErrMalformed
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l > 0 {
			if int(l) > len(b) {
				return nil, ErrMalformed
			}
			b = b[l:]
		}
	}
	if len(b) < 2 {
		return nil, ErrMalformed
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+2*n {
		return nil, ErrMalformed
	}
	formats := make([]int16, n)
	for i := range formats {
		formats[i] = int16(binary.BigEndian.Uint16(b[2+2*i:]))
	}
	return formats, nil
}
