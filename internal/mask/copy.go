package mask

import (
	"encoding/binary"
	"strings"

	"github.com/dbward/dbward/internal/lineage"
)

// COPY … TO STDOUT sends rows as CopyData messages, one row each, in
// text or CSV format (binary is refused: see CopyMaskable). The columns
// are those of the table, or of the query, that the statement names —
// its lineage — so a COPY is masked like the equivalent SELECT: each
// field is decoded, masked as the value of its column would be in a
// text-format DataRow, and encoded again.

// CopyFormat is how a COPY writes its rows (its options).
type CopyFormat struct {
	CSV       bool
	Delimiter byte
	Null      string
	Quote     byte // CSV
	Escape    byte // CSV
	Header    bool
}

// Copy masks the rows of one COPY … TO STDOUT.
type Copy struct {
	res     *Result
	f       CopyFormat
	header  bool     // the next row is the header
	fields  [][]byte // the row being masked, decoded (nil: NULL)
	quoted  []bool   // CSV: the field was quoted
	decoded []byte   // backing store of fields (a field keeps the array it was decoded into when it grows)
	val     []byte   // one masked value
}

// CopyMaskable reports whether the rows of a COPY with lineage q can be
// masked under plan: not when they are binary, nor when some column's
// source cannot be traced and the plan refuses such columns.
//
// A COPY's rows carry no table OIDs, so its columns are only known through
// lineage: one whose columns do not line up with it (a `*` over a join
// USING, a function in FROM) cannot be masked, whatever the plan.
func CopyMaskable(cls *Classification, plan *Plan, q *lineage.Query, binaryFormat bool) bool {
	if !plan.Active() {
		return true
	}
	if binaryFormat {
		return false
	}
	ds := cls.expand(q, nil)
	if ds == nil {
		return false
	}
	for _, d := range ds {
		if !d.known && plan.RefusesUnknown() {
			return false
		}
	}
	return true
}

// NewCopy returns the masker of the rows of a COPY with lineage q, in
// format f, of n columns (as its CopyOutResponse says). Columns lineage
// cannot trace are scanned. ok is false when the rows cannot be masked:
// the lineage does not line up with n columns, or the plan refuses a
// column it cannot trace.
func NewCopy(cls *Classification, plan *Plan, tr *Transformer, q *lineage.Query, f CopyFormat, n int) (c *Copy, ok bool) {
	ds := cls.trace(q, n, nil)
	if ds == nil && n > 0 && plan.Active() {
		return nil, false
	}
	cols := make([]Column, n)
	for i := range cols {
		cols[i].Type = oidText
		if ds == nil || len(ds[i].sources) != 1 {
			continue
		}
		// A column of the table (or one computed from one column): its
		// name guides the detectors, its type the masking of the value.
		src := ds[i].sources[0]
		cols[i].Name = src.Column[strings.LastIndexByte(src.Column, '.')+1:]
		if src.Type != 0 {
			cols[i].Type = src.Type
		}
	}
	c = &Copy{res: newResult(cols, cls, plan, tr, q, ds, nil), f: f, header: f.Header,
		fields: make([][]byte, n), quoted: make([]bool, n), decoded: make([]byte, 0, 512)}
	return c, !c.res.Refused()
}

// Active reports whether rows need rewriting.
func (c *Copy) Active() bool { return c != nil && c.res.Active() }

// MaskedColumns is how many columns have had a value masked so far.
func (c *Copy) MaskedColumns() int {
	if c == nil {
		return 0
	}
	return c.res.MaskedColumns()
}

// Row appends to dst the CopyData message raw (type byte, length, one
// row) with its values masked. A row that does not parse, or has a
// number of fields other than the COPY's columns, is ErrMalformed: the
// caller must not pass it on.
func (c *Copy) Row(dst, raw []byte) ([]byte, error) {
	if len(raw) < 5 || raw[0] != 'd' {
		return dst, ErrMalformed
	}
	row := raw[5:]
	if c.header || len(c.fields) == 0 { // (a row of no columns is an empty line)
		c.header = false
		return append(dst, raw...), nil
	}
	if len(row) == 0 || row[len(row)-1] != '\n' {
		return dst, ErrMalformed
	}
	row = row[:len(row)-1]
	var ok bool
	if c.f.CSV {
		ok = c.splitCSV(row)
	} else {
		ok = c.splitText(row)
	}
	if !ok {
		return dst, ErrMalformed
	}
	start := len(dst)
	dst = append(dst, 'd', 0, 0, 0, 0)
	for i, v := range c.fields {
		if i > 0 {
			dst = append(dst, c.f.Delimiter)
		}
		if v == nil {
			dst = append(dst, c.f.Null...)
			continue
		}
		c.val = c.res.value(c.val[:0], i, v)
		if int32(binary.BigEndian.Uint32(c.val)) < 0 { // masked to NULL
			dst = append(dst, c.f.Null...)
			continue
		}
		if c.f.CSV {
			dst = c.appendCSV(dst, c.val[4:], c.quoted[i])
		} else {
			dst = c.appendText(dst, c.val[4:])
		}
	}
	dst = append(dst, '\n')
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-1))
	return dst, nil
}

// splitText decodes a text-format row into c.fields.
func (c *Copy) splitText(row []byte) bool {
	c.decoded = c.decoded[:0]
	n := 0
	for start := 0; ; {
		end := start
		for end < len(row) && row[end] != c.f.Delimiter {
			if row[end] == '\\' {
				end++
			}
			end++
		}
		if end > len(row) || n == len(c.fields) {
			return false
		}
		raw := row[start:end]
		if string(raw) == c.f.Null {
			c.fields[n] = nil
		} else {
			at := len(c.decoded)
			c.decoded = unescapeText(c.decoded, raw)
			c.fields[n] = c.decoded[at:len(c.decoded):len(c.decoded)]
		}
		n++
		if end == len(row) {
			break
		}
		start = end + 1
	}
	return n == len(c.fields)
}

// unescapeText appends the value of a text-format field.
func unescapeText(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if b != '\\' || i+1 == len(raw) {
			dst = append(dst, b)
			continue
		}
		i++
		switch e := raw[i]; {
		case textUnescapes[e] != 0:
			dst = append(dst, textUnescapes[e])
		case e == 'x':
			v, k := 0, 0
			for k < 2 && i+1 < len(raw) && isHex(raw[i+1]) {
				i++
				v = v<<4 | hexVal(raw[i])
				k++
			}
			if k == 0 {
				dst = append(dst, 'x')
			} else {
				dst = append(dst, byte(v))
			}
		case e >= '0' && e <= '7':
			v := int(e - '0')
			for k := 1; k < 3 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7'; k++ {
				i++
				v = v<<3 | int(raw[i]-'0')
			}
			dst = append(dst, byte(v))
		default:
			dst = append(dst, e)
		}
	}
	return dst
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func hexVal(b byte) int {
	switch {
	case b >= 'a':
		return int(b-'a') + 10
	case b >= 'A':
		return int(b-'A') + 10
	}
	return int(b - '0')
}

// textEscapes maps a byte to the letter after the backslash that stands
// for it in a text-format field (0: none), and unescapes the reverse.
var textEscapes, textUnescapes = func() (esc, unesc [256]byte) {
	for _, p := range [][2]byte{{'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'}, {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}, {'\v', 'v'}} {
		esc[p[0]], unesc[p[1]] = p[1], p[0]
	}
	return esc, unesc
}()

// appendText appends a value as a text-format field, escaped as
// PostgreSQL escapes it.
func (c *Copy) appendText(dst, v []byte) []byte {
	for _, b := range v {
		switch {
		case textEscapes[b] != 0:
			dst = append(dst, '\\', textEscapes[b])
		case b == c.f.Delimiter:
			dst = append(dst, '\\', b)
		default:
			dst = append(dst, b)
		}
	}
	return dst
}

// splitCSV decodes a CSV row into c.fields and c.quoted.
func (c *Copy) splitCSV(row []byte) bool {
	c.decoded = c.decoded[:0]
	q, esc, delim := c.f.Quote, c.f.Escape, c.f.Delimiter
	n := 0
	i := 0
	for {
		if n == len(c.fields) {
			return false
		}
		start := len(c.decoded)
		quoted := false
		rawStart := i
		for i < len(row) && row[i] != delim {
			if row[i] != q {
				c.decoded = append(c.decoded, row[i])
				i++
				continue
			}
			// A quoted part: up to the closing quote.
			quoted = true
			i++
			for {
				if i >= len(row) {
					return false
				}
				if row[i] == esc && i+1 < len(row) && (row[i+1] == q || row[i+1] == esc) && (esc != q || row[i+1] == q) {
					c.decoded = append(c.decoded, row[i+1])
					i += 2
					continue
				}
				if row[i] == q {
					i++
					break
				}
				c.decoded = append(c.decoded, row[i])
				i++
			}
		}
		if !quoted && string(row[rawStart:i]) == c.f.Null {
			c.decoded = c.decoded[:start]
			c.fields[n] = nil
		} else {
			c.fields[n] = c.decoded[start:len(c.decoded):len(c.decoded)] // (never nil: decoded is not)
		}
		c.quoted[n] = quoted
		n++
		if i == len(row) {
			break
		}
		i++ // the delimiter
	}
	return n == len(c.fields)
}

// appendCSV appends a value as a CSV field: quoted when it was, or when it
// must be (it holds the delimiter, a quote, the escape, a line break, or
// reads as the NULL marker).
func (c *Copy) appendCSV(dst, v []byte, quoted bool) []byte {
	q, esc := c.f.Quote, c.f.Escape
	if !quoted {
		quoted = string(v) == c.f.Null || string(v) == `\.`
		for _, b := range v {
			if b == c.f.Delimiter || b == q || b == esc || b == '\n' || b == '\r' {
				quoted = true
				break
			}
		}
	}
	if !quoted {
		return append(dst, v...)
	}
	dst = append(dst, q)
	for _, b := range v {
		if b == q || b == esc {
			dst = append(dst, esc)
		}
		dst = append(dst, b)
	}
	return append(dst, q)
}
