package detect

// Keys in the text. In key=value, key: value and "key": "value" (query
// strings, connection strings, headers, YAML, JSON) the key says what its
// value is, as a column name does: it is judged as ClassOfName judges
// names, and what it tells applies to the value. A password key's value is
// a secret whatever it looks like (password=hunter2); a key for a person's
// name or a postal address marks its whole value ("first_name": "Ada");
// other keys act as a hint for the detectors at the value's start
// ("ssn": "123456789", "phone": "5551234567", "api_key": "<high entropy>").
// An unquoted key before ':' marks a whole value only where it begins an
// entry (a line, or after '{' ',' ';'), so that prose is not taken for
// YAML.

// keyValue looks at the ':' or '=' at i and returns where scanning goes on.
func (s *scanner) keyValue(i int) int {
	t := s.text
	if t[i] == ':' && i+1 < len(t) && t[i+1] == ':' {
		if e := ipv6At(t, i); e > 0 {
			s.emit(i, e, dIPv6)
			return e
		}
		return i + 2
	}
	ke := i
	for ke > 0 && i-ke < 4 && (t[ke-1] == ' ' || t[ke-1] == '\t') {
		ke--
	}
	if ke > 0 && (t[ke-1] == '"' || t[ke-1] == '\'') {
		ke--
		if ke > 0 && t[ke-1] == '\\' {
			ke--
		}
	}
	quotedKey := ke < i && (t[ke] == '"' || t[ke] == '\'' || t[ke] == '\\')
	ks := ke
	for ks > 0 && (isAlnum(t[ks-1]) || t[ks-1] == '_' || t[ks-1] == '-' || t[ks-1] == '.') {
		if ke-ks == 64 {
			return i + 1
		}
		ks--
	}
	if ks == ke || isDigit(t[ks]) {
		return i + 1
	}
	_, f := classify(t[ks:ke])
	if f&keyOnly != 0 && t[i] == ':' && !quotedKey && !keyStartsEntry(t, ks) {
		// "Reset your password: click here" is prose, not a key.
		f &^= keyOnly
	}
	if f == 0 {
		return i + 1
	}
	v := i + 1
	if v < len(t) && (t[v] == '=' || t[v] == '>') { // := => ==
		v++
	}
	for v < len(t) && v-i < 8 && (t[v] == ' ' || t[v] == '\t') {
		v++
	}
	escaped := v+1 < len(t) && t[v] == '\\' && (t[v+1] == '"' || t[v+1] == '\'')
	if escaped {
		v++
	}
	// A hint needs to reach the values at the start of the value only; a
	// whole value is read up to 512 bytes.
	max := 64
	if f&keyOnly != 0 {
		max = 512
	}
	ve, quoted := valueEnd(t, v, max, escaped, t[i] == ':' && f&(hName|hAddress) != 0)
	if quoted {
		v++
	}
	if ve <= v || (!quoted && (t[v] == '{' || t[v] == '[')) {
		return v
	}
	val := t[v:ve]
	if f&keyOnly == 0 || placeholder(val) {
		s.kvFlags, s.kvEnd = f, ve
		return v
	}
	switch {
	case f&hPassword != 0:
		if e := hashAt(t, v); e == ve {
			s.emit(v, ve, dPasswordHash)
		} else {
			s.emit(v, ve, dPassword)
		}
	case f&hName != 0:
		s.emit(v, ve, dKeyedName)
	default:
		s.emit(v, ve, dKeyedAddress)
	}
	return ve
}

// keyStartsEntry reports whether the unquoted key at ks begins an entry,
// as in YAML or a header block: nothing but white space, '-', '{', '[',
// ',' or ';' before it on its line.
func keyStartsEntry(t []byte, ks int) bool {
	for k := ks - 1; k >= 0 && ks-k <= 64; k-- {
		switch t[k] {
		case ' ', '\t', '-':
		case '\n', '\r', '{', '[', ',', ';':
			return true
		default:
			return false
		}
	}
	return true
}

// valueEnd returns the end of the value at v and whether it is quoted (its
// end is then the closing quote's index; escaped says the opening quote
// was escaped, \", as in JSON inside a JSON string, so that \" closes it
// too). An unquoted value ends at white space or , ; & } ] ) < > — or,
// when spaces says so (a name or address after "key:"), at a line break
// or , ; & } ] ) < >. Values are at most max bytes; a longer or
// unterminated one ends where it was cut.
func valueEnd(t []byte, v, max int, escaped, spaces bool) (int, bool) {
	if v >= len(t) {
		return v, false
	}
	if q := t[v]; q == '"' || q == '\'' {
		e := v + 1
		for e < len(t) && e-v < max && t[e] != q && t[e] != '\n' {
			if t[e] == '\\' {
				if escaped && e+1 < len(t) && t[e+1] == q {
					break
				}
				e++
			}
			e++
		}
		return min(e, len(t)), true
	}
	e := v
	for e < len(t) && e-v < max {
		c := t[e]
		if c < ' ' || (c == ' ' && !spaces) || c == ',' || c == ';' || c == '&' || c == '}' || c == ']' ||
			c == ')' || c == '<' || c == '>' || c == '"' || c == '\'' {
			break
		}
		e++
	}
	for e > v && t[e-1] == ' ' {
		e--
	}
	return e, false
}

// placeholder reports whether a value stands for no value or for one given
// elsewhere: empty, null, none, true, false, a run of one character
// (****, xxxx), a template or variable reference (${X}, {{ .X }}, $1, %s,
// ?, <password>), or a redaction marker.
func placeholder(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	same := true
	for _, c := range v[1:] {
		if c != v[0] {
			same = false
			break
		}
	}
	if same && len(v) > 1 && (v[0] == '*' || v[0] == 'x' || v[0] == 'X' || v[0] == '.' || v[0] == '#' || v[0] == '-') {
		return true
	}
	switch v[0] {
	case '*', '?':
		return len(v) == 1 || same
	case '$':
		return len(v) > 1 && (v[1] == '{' || v[1] == '(' || isDigit(v[1]))
	case '{':
		return len(v) > 1 && v[1] == '{'
	case '%':
		return len(v) > 1 && (v[1] == 's' || v[1] == '(')
	case '<':
		return v[len(v)-1] == '>'
	case '[':
		return v[len(v)-1] == ']' && len(v) < 16
	}
	if len(v) > 9 {
		return false
	}
	switch string(lowerWord(v)) {
	case "null", "none", "nil", "true", "false", "undefined", "redacted", "hidden", "masked", "n/a":
		return true
	}
	return false
}
