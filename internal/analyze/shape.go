package analyze

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A shape is a query text with the contents of its literals and comments
// taken out: `SELECT abalance FROM pgbench_accounts WHERE aid = 42` and
// `… WHERE aid = 7` have the same shape. Texts of one shape differ only in
// values PostgreSQL's lexer reads as string or numeric constants, so facts
// that do not depend on literal values (Statement.LiteralSensitive false)
// hold for every text of the shape.
//
// That argument is only as good as the agreement between this lexer and
// PostgreSQL's (src/backend/parser/scan.l), so the lexer refuses — returns
// no shape, and the text takes the slower paths — whenever a text uses a
// form whose lexing depends on more than the characters next to it:
// dollar quoting, prefixed strings (E'…', B'…', X'…', N'…', U&'…', and a
// type name glued to a string), Unicode identifiers with UESCAPE, numbers
// with underscores or trailing junk, unterminated literals and comments,
// invalid UTF-8 and NUL bytes. Everything outside literals and comments is
// kept byte for byte, whitespace included, so the rules scan.l applies to
// what surrounds a literal (string continuation across a newline, operator
// ends at "--" and "/*") see the same characters in every text of a shape.

// A literal in a shape is NUL followed by its class: 's' a string, 'i' a
// number the lexer makes an integer constant (ICONST: no fraction or
// exponent, fits in 32 bits), 'f' any other number (FCONST). The grammar
// accepts an ICONST in places where it refuses an FCONST, so the two must
// not share a shape. NUL cannot occur in a text the lexer reads (the text
// is refused), so no text collides with a placeholder.
const (
	classString  = 's'
	classInteger = 'i'
	classFloat   = 'f'
)

// shaper holds the buffers of one shape computation; it is pooled.
type shaper struct {
	key   []byte    // the shape
	semis []int     // byte offsets of ';' outside literals and comments
	lits  []literal // the literals, in order
}

// literal is the span sql[start:end] of one literal and its class.
type literal struct {
	start, end int
	class      byte
}

// Byte classes for the lexer's dispatch.
const (
	chPlain      = iota // copied as is
	chIdentStart        // letter, '_', or a byte of a multi-byte character
	chDigit
	chQuote  // '
	chDQuote // "
	chDollar
	chDash // - (maybe a comment)
	chSlash
	chSemicolon
	chBackslash
	chDot
)

var charClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = chIdentStart, chIdentStart
	}
	t['_'] = chIdentStart
	for c := 0x80; c <= 0xff; c++ {
		t[c] = chIdentStart
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = chDigit
	}
	t['\''], t['"'], t['$'], t['-'], t['/'], t[';'], t['\\'], t['.'] =
		chQuote, chDQuote, chDollar, chDash, chSlash, chSemicolon, chBackslash, chDot
	return t
}()

// identCont holds the bytes that continue an identifier.
var identCont = func() (t [256]bool) {
	for c := range 256 {
		t[c] = charClass[c] == chIdentStart || charClass[c] == chDigit || c == '$'
	}
	return t
}()

func isIdentStart(c byte) bool { return charClass[c] == chIdentStart }

func isIdentCont(c byte) bool { return identCont[c] }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// shape computes the shape of sql into s.key, the offsets of its
// semicolons into s.semis and its literals into s.lits. It reports false
// when it refuses the text. Runs of bytes that are copied as they are
// (operators, punctuation, whitespace, identifiers) are appended at once.
func (s *shaper) shape(sql string) bool {
	s.key, s.semis, s.lits = s.key[:0], s.semis[:0], s.lits[:0]
	if !utf8.ValidString(sql) || strings.IndexByte(sql, 0) >= 0 {
		return false // the parser would read only the text before a NUL
	}
	n := len(sql)
	run := 0 // start of the bytes not yet appended
	for i := 0; i < n; {
		c := sql[i]
		switch charClass[c] {
		case chPlain:
			i++
			for i < n && charClass[sql[i]] == chPlain {
				i++
			}

		case chIdentStart:
			i++
			for i < n && identCont[sql[i]] {
				i++
			}

		case chSemicolon:
			s.semis = append(s.semis, i)
			i++

		case chBackslash:
			// A backslash outside a literal is a syntax error PostgreSQL
			// reports (psql meta-commands are not SQL): no fast path.
			return false

		case chDot:
			if i+1 < n && isDigit(sql[i+1]) {
				return false // .5: rare, and t.5 lexes differently from t .5
			}
			i++

		case chDash:
			if i+1 >= n || sql[i+1] != '-' {
				i++
				continue
			}
			// A comment to the end of the line; the newline stays.
			s.key = append(s.key, sql[run:i]...)
			j := i + 2
			for j < n && sql[j] != '\n' && sql[j] != '\r' {
				j++
			}
			s.key = append(s.key, "--"...)
			i, run = j, j

		case chSlash:
			if i+1 >= n || sql[i+1] != '*' {
				i++
				continue
			}
			s.key = append(s.key, sql[run:i]...)
			j, ok := blockCommentEnd(sql, i)
			if !ok {
				return false // unterminated
			}
			s.key = append(s.key, "/**/"...)
			i, run = j, j

		case chQuote:
			// A string is a plain one only when nothing glued to its quote
			// makes it E'', B'', X'', N'', U&'' or a typed literal.
			if i > 0 && (isIdentCont(sql[i-1]) || sql[i-1] == '&') {
				return false
			}
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], '\'')
				if k < 0 {
					return false // unterminated
				}
				j += k
				if j+1 < n && sql[j+1] == '\'' {
					j += 2 // a doubled quote
					continue
				}
				break
			}
			s.key = append(s.key, sql[run:i]...)
			s.key = append(s.key, 0, classString)
			s.lits = append(s.lits, literal{i, j + 1, classString})
			i = j + 1
			run = i

		case chDQuote:
			// A quoted identifier is kept as written; U&"…" may be followed
			// by UESCAPE '…', a literal that changes the identifier.
			if i > 0 && sql[i-1] == '&' {
				return false
			}
			j := i + 1
			for {
				k := strings.IndexByte(sql[j:], '"')
				if k < 0 {
					return false
				}
				j += k
				if j+1 < n && sql[j+1] == '"' {
					j += 2
					continue
				}
				break
			}
			i = j + 1

		case chDollar:
			// $1 is a parameter; anything else starting with $ is a dollar
			// quote. ($ inside an identifier was consumed with it.)
			j := i + 1
			for j < n && isDigit(sql[j]) {
				j++
			}
			if j == i+1 || j < n && isIdentCont(sql[j]) {
				return false
			}
			i = j

		case chDigit:
			j, class := scanNumber(sql, i)
			if class == 0 {
				return false
			}
			s.key = append(s.key, sql[run:i]...)
			s.key = append(s.key, 0, class)
			s.lits = append(s.lits, literal{i, j, class})
			i, run = j, j
		}
	}
	s.key = append(s.key, sql[run:]...)
	return true
}

// scanNumber scans a numeric literal starting at sql[i] (a digit) and
// returns the offset after it and its class, or class 0 to refuse it. It
// refuses forms whose lexing depends on more than digits: underscores,
// "1..", an incomplete exponent, and any letter, digit, '$', '.', or quote
// right after the number (scan.l calls those trailing junk, or lexes them
// as another token).
func scanNumber(sql string, i int) (int, byte) {
	n := len(sql)
	j := i
	integer := true
	base := 10
	digits := ""
	if sql[i] == '0' && i+1 < n && (sql[i+1]|0x20 == 'x' || sql[i+1]|0x20 == 'o' || sql[i+1]|0x20 == 'b') {
		digit := isHexDigit
		base = 16
		switch sql[i+1] | 0x20 {
		case 'o':
			digit, base = func(c byte) bool { return c >= '0' && c <= '7' }, 8
		case 'b':
			digit, base = func(c byte) bool { return c == '0' || c == '1' }, 2
		}
		j = i + 2
		k := j
		for k < n && digit(sql[k]) {
			k++
		}
		if k == j {
			return 0, 0
		}
		digits = sql[j:k]
		j = k
	} else {
		for j < n && isDigit(sql[j]) {
			j++
		}
		digits = sql[i:j]
		if j < n && sql[j] == '.' {
			if j+1 < n && sql[j+1] == '.' {
				return 0, 0
			}
			integer = false
			j++
			for j < n && isDigit(sql[j]) {
				j++
			}
		}
		if j < n && sql[j]|0x20 == 'e' {
			k := j + 1
			if k < n && (sql[k] == '+' || sql[k] == '-') {
				k++
			}
			if k >= n || !isDigit(sql[k]) {
				return 0, 0
			}
			for k < n && isDigit(sql[k]) {
				k++
			}
			integer = false
			j = k
		}
	}
	if j < n && (isIdentCont(sql[j]) || sql[j] == '.' || sql[j] == '\'' || sql[j] == '"') {
		return 0, 0
	}
	if integer && fitsInt32(digits, base) {
		return j, classInteger
	}
	return j, classFloat
}

// fitsInt32 reports whether the digits, in base, are at most MaxInt32:
// PostgreSQL's lexer makes such a literal an ICONST, a larger one an
// FCONST.
func fitsInt32(digits string, base int) bool {
	if base != 10 {
		v, err := strconv.ParseUint(digits, base, 64)
		return err == nil && v <= math.MaxInt32
	}
	d := strings.TrimLeft(digits, "0")
	return len(d) < 10 || len(d) == 10 && d <= "2147483647"
}

// probe returns sql with every literal replaced by another of its class
// and a different value. If the probe's fingerprint equals sql's, no
// literal of sql sits where the fingerprint reads values, and the lexer
// found the literals where PostgreSQL's does.
func (s *shaper) probe(sql string) string {
	var b strings.Builder
	b.Grow(len(sql))
	prev := 0
	for _, l := range s.lits {
		b.WriteString(sql[prev:l.start])
		v := sql[l.start:l.end]
		switch l.class {
		case classString:
			if v == "'x'" {
				b.WriteString("'y'")
			} else {
				b.WriteString("'x'")
			}
		case classInteger:
			if v == "1" {
				b.WriteString("2")
			} else {
				b.WriteString("1")
			}
		default:
			if v == "1.5" {
				b.WriteString("2.5")
			} else {
				b.WriteString("1.5")
			}
		}
		prev = l.end
	}
	b.WriteString(sql[prev:])
	return b.String()
}
