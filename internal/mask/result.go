package mask

import (
	"encoding/binary"
	"strings"

	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/mask/detect"
)

// Result masks the rows of one result set: built from its columns once
// (at RowDescription, or at Execute from what Describe said), then asked
// to rewrite each DataRow. A Result belongs to one session's relay.
type Result struct {
	tr       *Transformer
	plan     *Plan
	cols     []action
	active   bool   // some column may be rewritten
	refused  bool   // a column of unknown source, and the plan refuses those
	maskedBy []bool // per column: some value was masked
	findings []detect.Finding
	scratch  []byte
	jsonBuf  []byte
}

// action is what happens to one column's values.
type action struct {
	strategy Strategy // for the whole value; Clear: none
	class    detect.Class
	scan     bool        // unknown source: mask what the detectors find
	hint     detect.Hint // the column's name, for the detectors
	json     *jsonKeys   // JSON computed from several columns: masked key by key, or else whole by strategy
	typ      uint32
	format   int16
}

// NewResult decides, per column, how plan masks it: a column whose source
// the classification knows gets its class's strategy, or if it has no
// class, its content is scanned by the detectors. A column PostgreSQL
// names no source for (an expression, a function, a set operation) is
// traced through the statement's lineage (q, may be nil): computed from
// classified columns, it gets the strictest of their strategies; from
// unclassified ones only, it is scanned. Any other column (one lineage
// cannot trace, a view column over sensitive data of unknown source, a
// table created since the classification was loaded) is scanned too, or
// refuses the result if the plan says so. With an inactive plan the
// Result does nothing.
//
// read are the classified columns of every table the statement reads
// (TablesRead): a column of unknown source is masked as the strictest of
// them rather than only scanned, since it may be computed from any.
func NewResult(cols []Column, cls *Classification, plan *Plan, tr *Transformer, q *lineage.Query, read []Source) *Result {
	var traced []derivation
	if plan.Active() {
		for _, c := range cols {
			if c.Table == 0 {
				traced = cls.trace(q, len(cols), nil)
				break
			}
		}
	}
	return newResult(cols, cls, plan, tr, q, traced, read)
}

// newResult is NewResult with the lineage traced: one derivation per
// column, or nil.
func newResult(cols []Column, cls *Classification, plan *Plan, tr *Transformer, q *lineage.Query, traced []derivation, read []Source) *Result {
	r := &Result{tr: tr, plan: plan, cols: make([]action, len(cols)), maskedBy: make([]bool, len(cols))}
	if !plan.Active() {
		return r
	}
	for i, c := range cols {
		a := action{typ: c.Type, format: c.Format, hint: detect.NewHint(strings.ToLower(c.Name))}
		src, known := cls.Source(c)
		if known && c.Table != 0 {
			// RETURNING of a column the statement wrote: the value is what
			// was written, not the column's own.
			if extra, ok := cls.written(q, c); ok {
				own := src
				own.Computed = true
				src = plan.strictestSource(append(extra, own))
			}
		}
		if known && src.Unknown && src.MayHold != "" && !plan.RefusesUnknown() {
			// A view column that cannot be traced, over classified data.
			src = Source{Column: src.Column, Class: src.MayHold, Type: src.Type, Computed: true}
		}
		switch {
		case !known && c.Table != 0 && c.Attnum == 0:
			// A whole row as one column (SELECT c FROM customers c): made
			// of all the table's columns.
			if rows := cls.rowSources(c.Table); rows != nil {
				src, known = plan.strictestSource(rows), true
			}
		case !known && c.Table == 0 && traced != nil && traced[i].known:
			src, known = plan.strictestSource(traced[i].sources), true
			if isJSON(c.Type) && traced[i].rows {
				a.json = jsonKeysFor(plan, traced[i].sources)
			}
		case !known && c.Table == 0 && !plan.RefusesUnknown():
			// Part of it, or all, cannot be traced (a user function over a
			// column, a `*` that cannot be lined up): masked whole as the
			// strictest classified column it reads, or else may read.
			var sources []Source
			if traced != nil {
				sources = traced[i].sources
			}
			if s := plan.strictestSource(append(sources, read...)); s.Class != "" && plan.strategyOf(s) != Clear {
				src, known = s, true
			}
		}
		switch {
		case known && !src.Unknown:
			a.class = src.Class
			a.strategy = plan.strategyOf(src)
			// Free text holds what no classification foresaw (a card
			// number in a support ticket): scanned too. Numbers and
			// dates of a known, unclassified column are left alone.
			a.scan = src.Class == "" && a.strategy == Clear && textual(c.Type, c.Format) || a.json != nil
		case plan.RefusesUnknown():
			r.refused = true
		default:
			a.scan = mayHoldText(c.Type, c.Format)
		}
		if a.strategy == "" {
			a.strategy = Clear
		}
		if a.strategy != Clear || a.scan {
			r.active = true
		}
		r.cols[i] = a
	}
	return r
}

// Reset readies the Result for another result set of the same columns.
func (r *Result) Reset() { clear(r.maskedBy) }

// Active reports whether rows need rewriting.
func (r *Result) Active() bool { return r != nil && r.active }

// Refused reports whether the plan refuses this result: it has a column
// of unknown source and the plan says "unknown": "refuse".
func (r *Result) Refused() bool { return r != nil && r.refused }

// MaskedColumns is how many columns have had a value masked so far.
func (r *Result) MaskedColumns() int {
	if r == nil {
		return 0
	}
	n := 0
	for _, m := range r.maskedBy {
		if m {
			n++
		}
	}
	return n
}

// Row appends to dst the DataRow raw (type byte, length, body) with its
// values masked. A row whose column count does not match the result's is
// malformed: the caller must not pass it on.
func (r *Result) Row(dst, raw []byte) ([]byte, error) {
	if len(raw) < 7 || raw[0] != 'D' {
		return dst, ErrMalformed
	}
	body := raw[5:]
	n := int(binary.BigEndian.Uint16(body))
	if n != len(r.cols) {
		return dst, ErrMalformed
	}
	start := len(dst)
	dst = append(dst, 'D', 0, 0, 0, 0, body[0], body[1])
	body = body[2:]
	for i := range r.cols {
		if len(body) < 4 {
			return dst[:start], ErrMalformed
		}
		l := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if l < 0 { // NULL stays NULL
			dst = binary.BigEndian.AppendUint32(dst, uint32(l))
			continue
		}
		if int(l) > len(body) {
			return dst[:start], ErrMalformed
		}
		v := body[:l]
		body = body[l:]
		dst = r.value(dst, i, v)
	}
	if len(body) != 0 {
		return dst[:start], ErrMalformed
	}
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-1))
	return dst, nil
}

// value appends column i's value v, masked as its action says, with its
// length prefix.
func (r *Result) value(dst []byte, i int, v []byte) []byte {
	a := &r.cols[i]
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	strategy := a.strategy
	if a.json != nil {
		if masked, ok := r.jsonValue(v, a); ok {
			v, strategy = masked, Clear // (and scanned below)
			r.maskedBy[i] = true
		}
	}
	switch {
	case strategy != Clear:
		out, null, err := r.tr.Value(dst, v, a.typ, a.format, a.class, strategy)
		r.maskedBy[i] = true
		if null || err != nil { // (a value that is not of its type is not passed on either)
			return binary.BigEndian.AppendUint32(dst[:at], 0xFFFFFFFF)
		}
		dst = out
	case a.scan:
		r.findings = a.hint.Scan(r.findings[:0], v)
		first := -1 // the first finding the plan masks
		for k := range r.findings {
			if r.plan.Strategy(r.findings[k].Class, "") != Clear {
				first = k
				break
			}
		}
		if first < 0 {
			dst = append(dst, v...)
			break
		}
		r.maskedBy[i] = true
		if textual(a.typ, a.format) {
			dst = r.tr.Spans(dst, v, r.findings, r.strategyFor)
			break
		}
		// Not text: replacing part of it would break the value, so the
		// whole value is masked as the first thing found in it.
		class := r.findings[first].Class
		out, null, err := r.tr.Value(dst, v, a.typ, a.format, class, r.plan.Strategy(class, ""))
		if null || err != nil {
			return binary.BigEndian.AppendUint32(dst[:at], 0xFFFFFFFF)
		}
		dst = out
	default:
		dst = append(dst, v...)
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// jsonValue masks a JSON value key by key (jsonb's binary form is its
// text after a version byte); ok is false when that cannot be done.
func (r *Result) jsonValue(v []byte, a *action) ([]byte, bool) {
	r.jsonBuf = r.jsonBuf[:0]
	if a.format == 1 {
		if a.typ != oidJSONB || len(v) == 0 || v[0] != 1 {
			return nil, false
		}
		r.jsonBuf, v = append(r.jsonBuf, 1), v[1:]
	}
	out, ok := r.maskJSON(r.jsonBuf, v, a.json)
	r.jsonBuf = out
	return out, ok
}

// isJSON reports whether a type is json or jsonb.
func isJSON(typ uint32) bool { return typ == oidJSON || typ == oidJSONB }

// strategyFor is the plan's strategy for what the detectors found (a
// method value made once, so Spans costs no allocation).
func (r *Result) strategyFor(c detect.Class) Strategy { return r.plan.Strategy(c, "") }

// mayHoldText reports whether values of a type, in a format, can carry
// text the detectors look for. Binary numbers, dates and the like cannot;
// text-format values of any type can (a card number cast to bigint still
// reads as one), and so can binary values of types dbward does not know.
func mayHoldText(typ uint32, format int16) bool {
	if format == 0 {
		return true
	}
	ty, ok := lookup(typ)
	return !ok || ty.fam.chars() || ty.fam == famBytea
}

// textual reports whether part of a value can be replaced by other text
// and leave a valid value of its type: character types in either format
// (the binary form of text is its text; jsonb's starts with a version
// byte, so only its text form), arrays of them in text format, and types
// of extensions (citext) in text format.
func textual(typ uint32, format int16) bool {
	if ty, ok := lookup(typ); ok {
		return ty.fam.chars() && (ty.fam != famJSONB || format == 0)
	}
	if elem := elementOf(typ); elem != 0 {
		return format == 0 && textual(elem, 0)
	}
	return format == 0 && typ >= firstNormalOID
}
