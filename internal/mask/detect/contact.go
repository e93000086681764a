package detect

// E-mail addresses and phone numbers.

// email finds the e-mail address around the '@' at i and returns where
// scanning goes on. The local part (at most 64 bytes of letters, digits,
// . _ % + - and UTF-8) is read backwards, never into the last finding; the
// domain needs two or more labels and a top-level domain in ICANN's root
// zone, so "icon@2x.png" and "user@localhost" are not addresses.
func (s *scanner) email(i int) int {
	t := s.text
	if i == s.userAt && i > 0 {
		return i + 1
	}
	ls := i
	for ls > s.last && charClass[t[ls-1]]&cLocal != 0 {
		if i-ls == 64 {
			return i + 1
		}
		ls--
	}
	for ls < i && (t[ls] == '.' || t[ls] == '-' || t[ls] == '+') {
		ls++
	}
	if ls == i || t[i-1] == '.' {
		return i + 1
	}
	e := domainEnd(t, i+1)
	if e < 0 {
		return i + 1
	}
	s.emit(ls, e, dEmail)
	return e
}

// domainEnd returns the end of the domain name that starts at i, or -1.
func domainEnd(t []byte, i int) int {
	j, labels, tld := i, 0, i
	for {
		ls := j
		for j < len(t) && charClass[t[j]]&cLabel != 0 && j-ls < 64 {
			j++
		}
		if j == ls || j-ls > 63 || t[ls] == '-' || t[j-1] == '-' || j-i > 253 {
			return -1
		}
		labels++
		tld = ls
		if j+1 < len(t) && t[j] == '.' && charClass[t[j+1]]&cLabel != 0 {
			j++
			continue
		}
		break
	}
	if labels < 2 || (j < len(t) && (t[j] == '_' || t[j] == '@')) || !knownTLD(t[tld:j]) {
		return -1
	}
	return j
}

// knownTLD reports whether label (any case) is a top-level domain.
func knownTLD(label []byte) bool {
	var buf [24]byte
	if len(label) < 2 || len(label) > len(buf) {
		return false
	}
	for i, c := range label {
		buf[i] = lower(c)
	}
	l := buf[:len(label)]
	lo, hi := 0, len(tlds)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if tlds[m] < string(l) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(tlds) && tlds[lo] == string(l)
}

// phoneStart finds a phone number that begins with '+' or '(' at i and
// returns where scanning goes on.
func (s *scanner) phoneStart(i int) int {
	t := s.text
	if i > 0 && (isAlnum(t[i-1]) || t[i-1] == '+' || t[i-1] == '.' || t[i-1] == '_') {
		return i + 1
	}
	if e := phoneAt(t, i, s.hintAt(i)); e > 0 {
		s.emit(i, e, dPhone)
		return e
	}
	return i + 1
}

// Separators seen in a phone number.
const (
	sepSpace = 1 << iota
	sepDash
	sepDot
	sepParen
)

// phoneAt returns the end of the phone number that starts at i (a digit,
// '+' or '('), or -1. It is conservative, since digit runs are everywhere:
//   - an international number: '+', an assigned country-code zone, 8 to 15
//     digits in any grouping ("+44 (0)20 7946 0958": the "(0)" trunk
//     prefix is not counted);
//   - a national number: 10 or 11 digits in two or more groups, either as
//     the North American plan writes them ([1-]NXX-NXX-XXXX, (NXX) NXX-XXXX,
//     with spaces, dashes or dots) or with a trunk 0 (020 7946 0958, 06 12
//     34 56 78), one kind of separator and no group shorter than two digits;
//   - under a phone hint, 7 to 15 digits in any grouping, bare too.
//
// Three groups shaped like a date (2024-01-15, 15.01.2024) are never a
// phone number.
func phoneAt(t []byte, i int, h hintFlags) int {
	j := i
	intl := t[j] == '+'
	if intl {
		j++
	}
	var (
		d      [16]byte // the first digits
		nd     int      // digits, less a "(0)" trunk prefix
		size   [8]uint8 // digits in each group
		ng     int
		seps   int
		parens int
		end    = -1
	)
	for {
		open := j < len(t) && t[j] == '('
		if open {
			if parens > 0 {
				return -1
			}
			j++
		}
		start := j
		for j < len(t) && isDigit(t[j]) {
			if nd < len(d) {
				d[nd] = t[j] - '0'
			}
			nd++
			j++
			if nd > 15 {
				return -1
			}
		}
		l := j - start
		if l == 0 || ng == len(size) {
			return -1
		}
		if open {
			if j >= len(t) || t[j] != ')' {
				return -1
			}
			j++
			parens++
			seps |= sepParen
			if intl && ng > 0 && l == 1 && t[start] == '0' {
				nd-- // "(0)": the trunk prefix, dialled only from within the country
			}
		}
		size[ng] = uint8(l)
		ng++
		end = j
		if j+1 >= len(t) {
			break
		}
		switch c := t[j]; {
		case (c == ' ' || c == '-' || c == '.') && (isDigit(t[j+1]) || t[j+1] == '('):
			switch c {
			case ' ':
				seps |= sepSpace
			case '-':
				seps |= sepDash
			default:
				seps |= sepDot
			}
			j++
			continue
		case open && isDigit(c), c == '(' && parens == 0:
			continue
		}
		break
	}
	if !numRightOK(t, end) || nd < 7 || dateShaped(size[:ng], seps) {
		return -1
	}
	switch {
	case intl:
		if nd >= 8 && countryZone(d[0], d[1]) {
			return end
		}
		return -1
	case h&hPhone != 0:
		return end
	case nd < 10 || nd > 11 || ng < 2:
		return -1
	}
	// The North American plan: area code and exchange begin with 2-9.
	g, a := 0, 0
	if nd == 11 && size[0] == 1 && d[0] == 1 {
		g, a = 1, 1
	}
	if ng-g == 3 && size[g] == 3 && size[g+1] == 3 && size[g+2] == 4 && d[a] >= 2 && d[a+3] >= 2 {
		return end
	}
	// A trunk 0, one kind of separator, groups of two digits or more.
	if d[0] != 0 || d[1] == 0 {
		return -1
	}
	if k := seps &^ sepParen; k&(k-1) != 0 {
		return -1
	}
	for _, n := range size[:ng] {
		if n < 2 {
			return -1
		}
	}
	return end
}

// dateShaped reports whether groups look like a date: 4-2-2, 2-2-4 or
// 1-1-4 with one kind of separator.
func dateShaped(size []uint8, seps int) bool {
	if len(size) != 3 || seps&(seps-1) != 0 || seps == sepParen {
		return false
	}
	return (size[0] == 4 && size[1] <= 2 && size[2] <= 2) || (size[0] <= 2 && size[1] <= 2 && size[2] == 4)
}

// countryZone reports whether an international number may begin with the
// digits a, b: E.164 assigns no code beginning with 0, 28, 83 or 89.
func countryZone(a, b byte) bool {
	switch {
	case a == 0, a == 2 && b == 8, a == 8 && (b == 3 || b == 9):
		return false
	}
	return true
}
