package mask

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/mask/detect"
)

// JSON built from a row (row_to_json(c), json_agg(c.*), to_jsonb(c)) keys
// each value by its column's name. Masking the whole document as its most
// sensitive column would leave nothing of it; instead the value under each
// classified column's name is masked as that column is, wherever it is in
// the document, and the rest is scanned like free text. A document that
// lacks the name of a classified column it was computed from (the column
// was renamed on the way: json_build_object('e', email)) is masked whole.

// jsonKeys is how a JSON column's values are masked key by key.
type jsonKeys struct {
	keys map[string]keyMask // a classified source column's name → its mask
	// names are the source columns' names: a row object with any other
	// key is not what lineage says it is, and is masked whole.
	names map[string]bool
}

type keyMask struct {
	class    detect.Class
	strategy Strategy
}

// jsonKeysFor returns the key masks of a JSON column computed from
// sources, or nil when none of them is masked.
func jsonKeysFor(plan *Plan, sources []Source) *jsonKeys {
	j := &jsonKeys{keys: map[string]keyMask{}, names: map[string]bool{}}
	for _, s := range sources {
		name := s.Column[strings.LastIndexByte(s.Column, '.')+1:]
		j.names[name] = true
		st := plan.strategyOf(s)
		if st == Clear {
			continue
		}
		if prev, ok := j.keys[name]; !ok || strictness[st] > strictness[prev.strategy] {
			j.keys[name] = keyMask{class: s.Class, strategy: st}
		}
	}
	if len(j.keys) == 0 {
		return nil
	}
	return j
}

// jsonRewriter masks one JSON document.
type jsonRewriter struct {
	tr    *Transformer
	names map[string]bool
	objs  int // objects open: a row's is the first
	keys  map[string]keyMask
	found map[string]bool
	in    []byte
	pos   int
	depth int
}

// maxJSONDepth bounds nesting; deeper documents are masked whole.
const maxJSONDepth = 256

// maskJSON appends the JSON text v with the values under j's keys masked;
// ok is false when v is not JSON or lacks one of the keys, and then dst is
// returned as it was.
func (r *Result) maskJSON(dst, v []byte, j *jsonKeys) ([]byte, bool) {
	w := jsonRewriter{tr: r.tr, keys: j.keys, names: j.names, found: make(map[string]bool, len(j.keys)), in: v}
	out, ok := w.value(dst)
	out = w.space(out)
	if !ok || w.pos != len(v) || len(w.found) != len(j.keys) {
		return dst, false
	}
	return out, true
}

// space copies the whitespace at the cursor (the json type keeps it).
func (w *jsonRewriter) space(dst []byte) []byte {
	for w.pos < len(w.in) {
		switch c := w.in[w.pos]; c {
		case ' ', '\t', '\n', '\r':
			dst = append(dst, c)
			w.pos++
		default:
			return dst
		}
	}
	return dst
}

// value copies one JSON value to dst, masking inside it.
func (w *jsonRewriter) value(dst []byte) ([]byte, bool) {
	dst = w.space(dst)
	if w.pos >= len(w.in) {
		return dst, false
	}
	switch w.in[w.pos] {
	case '{':
		return w.object(dst)
	case '[':
		return w.array(dst)
	}
	start := w.pos
	if !w.skip() {
		return dst, false
	}
	return append(dst, w.in[start:w.pos]...), true
}

func (w *jsonRewriter) object(dst []byte) ([]byte, bool) {
	if w.depth++; w.depth > maxJSONDepth {
		return dst, false
	}
	w.objs++
	defer func() { w.depth--; w.objs-- }()
	w.pos++ // {
	dst = append(dst, '{')
	for first := true; ; first = false {
		dst = w.space(dst)
		if w.pos < len(w.in) && w.in[w.pos] == '}' && first {
			w.pos++
			return append(dst, '}'), true
		}
		start := w.pos
		if w.pos >= len(w.in) || w.in[w.pos] != '"' || !w.skip() {
			return dst, false
		}
		rawKey := w.in[start:w.pos]
		if w.objs == 1 && !w.names[jsonString(rawKey)] {
			return dst, false // a key no source column has
		}
		dst = append(dst, rawKey...)
		dst = w.space(dst)
		if w.pos >= len(w.in) || w.in[w.pos] != ':' {
			return dst, false
		}
		w.pos++
		dst = append(dst, ':')
		var ok bool
		if m, masked := w.keys[jsonString(rawKey)]; masked {
			w.found[jsonString(rawKey)] = true
			dst, ok = w.masked(dst, m)
		} else {
			dst, ok = w.value(dst)
		}
		if !ok {
			return dst, false
		}
		var more bool
		if dst, more, ok = w.separator(dst, '}'); !ok || !more {
			return dst, ok
		}
	}
}

// separator copies what follows an element: a comma (more follow) or the
// closing bracket.
func (w *jsonRewriter) separator(dst []byte, closing byte) (out []byte, more, ok bool) {
	dst = w.space(dst)
	if w.pos >= len(w.in) {
		return dst, false, false
	}
	switch w.in[w.pos] {
	case ',':
		w.pos++
		return append(dst, ','), true, true
	case closing:
		w.pos++
		return append(dst, closing), false, true
	}
	return dst, false, false
}

func (w *jsonRewriter) array(dst []byte) ([]byte, bool) {
	if w.depth++; w.depth > maxJSONDepth {
		return dst, false
	}
	defer func() { w.depth-- }()
	w.pos++ // [
	dst = append(dst, '[')
	for first := true; ; first = false {
		dst = w.space(dst)
		if w.pos < len(w.in) && w.in[w.pos] == ']' && first {
			w.pos++
			return append(dst, ']'), true
		}
		var ok, more bool
		if dst, ok = w.value(dst); !ok {
			return dst, false
		}
		if dst, more, ok = w.separator(dst, ']'); !ok || !more {
			return dst, ok
		}
	}
}

// masked replaces the value at the cursor by its masked text, as a JSON
// string (null stays null; nullify makes null).
func (w *jsonRewriter) masked(dst []byte, m keyMask) ([]byte, bool) {
	dst = w.space(dst)
	start := w.pos
	if w.pos >= len(w.in) {
		return dst, false
	}
	switch w.in[w.pos] {
	case '{', '[':
		// A nested row under a classified name: masked whole, as text.
		if _, ok := w.value(nil); !ok {
			return dst, false
		}
	default:
		if !w.skip() {
			return dst, false
		}
	}
	raw := w.in[start:w.pos]
	if string(raw) == "null" {
		return append(dst, raw...), true
	}
	text := raw
	if raw[0] == '"' {
		text = []byte(jsonString(raw))
	}
	out, null, err := w.tr.Value(nil, text, oidText, 0, m.class, m.strategy)
	if null || err != nil {
		return append(dst, "null"...), true
	}
	return appendJSONString(dst, out), true
}

// skip moves the cursor past a string, number or literal.
func (w *jsonRewriter) skip() bool {
	if w.in[w.pos] == '"' {
		for i := w.pos + 1; i < len(w.in); i++ {
			switch w.in[i] {
			case '\\':
				i++
			case '"':
				w.pos = i + 1
				return true
			}
		}
		return false
	}
	start := w.pos
	for w.pos < len(w.in) {
		switch c := w.in[w.pos]; {
		case c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return w.pos > start
		case c == '{' || c == '[' || c == '"' || c == ':':
			return false
		}
		w.pos++
	}
	return w.pos > start
}

// jsonString decodes a JSON string literal (quotes included); one that
// does not decode reads as its raw text.
func jsonString(raw []byte) string {
	if len(raw) >= 2 && !strings.ContainsRune(string(raw), '\\') {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw)
	}
	return s
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return append(dst, '"')
}
