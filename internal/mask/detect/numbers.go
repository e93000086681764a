package detect

// Digit runs: card numbers, national ids, IPv4 addresses, dates of birth
// and phone numbers all begin with a digit, and are told apart by how
// their digits are grouped.

// maxGroups and maxDigits bound a run of digit groups; longer runs are
// none of the formats here.
const (
	maxGroups = 8
	maxDigits = 24
)

// numGroups is a run of digit groups joined by single separators (space,
// '-', '.', '/'), as in "4111 1111 1111 1111", "123-45-6789", "10.0.0.1".
type numGroups struct {
	d    [maxDigits]byte // digit values
	nd   int
	n    int              // groups
	size [maxGroups]uint8 // digits in each group
	sep  [maxGroups]byte  // separator after each group (0 after the last)
	end  [maxGroups]int   // text offset after each group
	long bool             // the run goes on past maxGroups or maxDigits (n is at least 1)
}

// parse reads the groups that start at i.
func (g *numGroups) parse(t []byte, i int) {
	*g = numGroups{}
	for {
		start := i
		for i < len(t) && isDigit(t[i]) && g.nd < maxDigits {
			g.d[g.nd] = t[i] - '0'
			g.nd++
			i++
		}
		g.size[g.n] = uint8(i - start)
		g.end[g.n] = i
		g.n++
		if i < len(t) && isDigit(t[i]) {
			g.long = true // the last group is cut short
			return
		}
		if i+1 >= len(t) || !isDigit(t[i+1]) {
			return
		}
		switch t[i] {
		case ' ', '-', '.', '/':
		default:
			return
		}
		if g.n == maxGroups {
			g.long = true
			return
		}
		g.sep[g.n-1] = t[i]
		i++
	}
}

// digits returns the digits of the first k groups.
func (g *numGroups) digits(k int) []byte {
	n := 0
	for i := range k {
		n += int(g.size[i])
	}
	return g.d[:n]
}

// shape reports whether the first k groups have the given sizes, joined by
// one separator that is one of seps; a single group needs no separator.
func (g *numGroups) shape(seps string, sizes ...uint8) bool {
	k := len(sizes)
	if g.n < k {
		return false
	}
	for i, n := range sizes {
		if g.size[i] != n {
			return false
		}
	}
	if k == 1 {
		return true
	}
	sep := g.sep[0]
	for i := 1; i < k-1; i++ {
		if g.sep[i] != sep {
			return false
		}
	}
	for i := range len(seps) {
		if seps[i] == sep {
			return true
		}
	}
	return false
}

// endsAt reports whether a value may end after the first k groups: the
// text there does not carry the number on. After a '-', '.' or '/' more
// digits always carry it on; after a space, a group of three or more
// digits does when the value's own groups are joined by spaces.
func (g *numGroups) endsAt(t []byte, k int) bool {
	if g.long && k == g.n {
		return false
	}
	if k < g.n {
		sep := g.sep[k-1]
		return sep == ' ' && (k == 1 || g.sep[0] != ' ' || g.size[k] < 3)
	}
	return numRightOK(t, g.end[k-1])
}

// numLeftOK reports whether a number may begin at i: the byte before it is
// no letter, digit, '.' or '_', nor a '-' or '/' that follows a letter or
// digit (the tail of an id such as a UUID or a dashed number).
func numLeftOK(t []byte, i int) bool {
	if i == 0 {
		return true
	}
	switch p := t[i-1]; {
	case isAlnum(p), p == '.', p == '_':
		return false
	case p == '-', p == '/':
		return i < 2 || !isAlnum(t[i-2])
	}
	return true
}

// numRightOK reports whether a number may end at e: the byte there is no
// letter, digit, '_' or '@', nor a '.', ',', '-' or '/' before a digit (a
// decimal, or a longer number).
func numRightOK(t []byte, e int) bool {
	if e >= len(t) {
		return true
	}
	switch c := t[e]; {
	case isAlnum(c), c == '_', c == '@':
		return false
	case c == '.', c == ',', c == '-', c == '/':
		return e+1 >= len(t) || !isDigit(t[e+1])
	}
	return true
}

// numeric finds the values that begin with the digit run t[i:j].
func (s *scanner) numeric(i, j int, h hintFlags, b *best) {
	t := s.text
	if !numLeftOK(t, i) {
		return
	}
	if e := nifAt(t, i, j); e > 0 {
		b.consider(e, dESNIF)
	}
	// A short number not followed by a separator and a digit is none of
	// the formats: the common case, decided without parsing.
	if j-i < 7 && (j+1 >= len(t) || !isDigit(t[j+1])) {
		return
	}
	var g numGroups
	g.parse(t, i)
	// Each detector needs so many digits or groups; most numbers have too
	// few for all of them.
	phone := g.nd >= 7 || phoneParen(t, g.end[g.n-1])
	if g.nd >= 13 {
		if e := cardAt(&g, t); e > 0 {
			b.consider(e, dCard)
		}
	}
	if g.n >= 4 {
		if e := ipv4At(&g, t); e > 0 {
			b.consider(e, dIPv4)
		}
	}
	if phone && h&hPhone != 0 { // the hint settles a tie with a national id
		if e := phoneAt(t, i, h); e > 0 {
			b.consider(e, dPhone)
		}
	}
	if g.nd >= 9 {
		if e := ssnAt(&g, t, h); e > 0 {
			b.consider(e, dUSSSN)
		}
		if e := sinAt(&g, t, h); e > 0 {
			b.consider(e, dCASIN)
		}
		if e := nhsAt(&g, t, h); e > 0 {
			b.consider(e, dUKNHS)
		}
		if e := aadhaarAt(&g, t, h); e > 0 {
			b.consider(e, dINAadhaar)
		}
	}
	if g.n >= 3 && h&hDOB != 0 {
		if e := dateAt(&g, t); e > 0 {
			b.consider(e, dDateOfBirth)
		}
	}
	if phone && h&hPhone == 0 {
		if e := phoneAt(t, i, h); e > 0 {
			b.consider(e, dPhone)
		}
	}
}

// phoneParen reports whether a phone number may go on at e with a
// parenthesised group: "1 (415) 555-2671", "020(7946)".
func phoneParen(t []byte, e int) bool {
	return e+1 < len(t) && (t[e] == '(' || (t[e] == ' ' && t[e+1] == '('))
}
