package detect

import (
	"net/netip"
	"unsafe"
)

// IP addresses.

// ipv4At returns the end of the dotted-quad IPv4 address that begins the
// groups g, or -1. Each octet is at most 255 and has no leading zero; a
// fifth group (1.2.3.4.5, an OID or a version) disqualifies it, a CIDR
// prefix length (/24) does not and is not part of the finding.
func ipv4At(g *numGroups, t []byte) int {
	if g.n < 4 || !g.shape(".", g.size[0], g.size[1], g.size[2], g.size[3]) {
		return -1
	}
	for k := range 4 {
		if !octet(g.d[:g.nd], g.groupStart(k), int(g.size[k])) {
			return -1
		}
	}
	if g.n > 4 && g.sep[3] == '/' && g.size[4] <= 2 && (g.n == 5 && numRightOK(t, g.end[4])) {
		return g.end[3]
	}
	if !g.endsAt(t, 4) {
		return -1
	}
	return g.end[3]
}

// groupStart returns the index in g.d of group k's first digit.
func (g *numGroups) groupStart(k int) int {
	n := 0
	for i := range k {
		n += int(g.size[i])
	}
	return n
}

// octet reports whether the n digit values d[at:at+n] are an octet.
func octet(d []byte, at, n int) bool {
	if n < 1 || n > 3 || (n > 1 && d[at] == 0) {
		return false
	}
	v := 0
	for _, c := range d[at : at+n] {
		v = v*10 + int(c)
	}
	return v <= 255
}

// ipv6At returns the end of the IPv6 address at i, or -1. A candidate is a
// run of hex digits, ':' and '.' (for an embedded IPv4 address), at most 45
// bytes, that net/netip parses; a zone (%eth0) or prefix length (/64) after
// it is not part of the finding. "::" alone, and names such as Abc::Def
// or a::b in Perl or C++, are not addresses (see ipv6Shape).
func ipv6At(t []byte, i int) int {
	if i > 0 {
		switch p := t[i-1]; {
		case isAlnum(p), p == ':', p == '.', p == '_':
			return -1
		}
	}
	j := i
	for j < len(t) && j-i <= 45 && (charClass[t[j]]&cHex != 0 || t[j] == ':' || t[j] == '.') {
		j++
	}
	if j-i > 45 || (j < len(t) && (isAlnum(t[j]) || t[j] == '_')) {
		return -1
	}
	if j-i >= 3 && (t[j-1] == '.' || (t[j-1] == ':' && t[j-2] != ':')) {
		j-- // sentence punctuation after the address
	}
	c := t[i:j]
	if !ipv6Shape(c) {
		return -1
	}
	// The shape check is strict enough that ParseAddr only confirms (and
	// so never allocates an error).
	if _, err := netip.ParseAddr(unsafe.String(&c[0], len(c))); err != nil {
		return -1
	}
	return j
}

// ipv6Shape reports whether c is written as an IPv6 address: eight groups
// of one to four hex digits, or fewer with one "::", the last two groups
// optionally a dotted quad; not "::" alone; hex letters in one case and
// at least one decimal digit (so a::b and dead::beef, more likely code
// than addresses, are not).
func ipv6Shape(c []byte) bool {
	if len(c) < 3 {
		return false
	}
	groups, double, i := 0, false, 0
	var upper, lower, digit bool
	if c[0] == ':' {
		if c[1] != ':' {
			return false
		}
		double, i = true, 2
	}
	for i < len(c) {
		start := i
		for i < len(c) && charClass[c[i]]&cHex != 0 {
			switch {
			case isUpper(c[i]):
				upper = true
			case isDigit(c[i]):
				digit = true
			default:
				lower = true
			}
			i++
		}
		if i < len(c) && c[i] == '.' {
			if !dottedQuad(c[start:]) {
				return false
			}
			groups += 2
			break
		}
		if i == start || i-start > 4 {
			return false
		}
		groups++
		if i == len(c) {
			break
		}
		if c[i] != ':' {
			return false
		}
		i++
		if i < len(c) && c[i] == ':' {
			if double {
				return false
			}
			double = true
			i++
		} else if i == len(c) {
			return false
		}
	}
	if (upper && lower) || !digit {
		return false
	}
	if double {
		return groups >= 1 && groups <= 7
	}
	return groups == 8
}

// dottedQuad reports whether c is exactly an IPv4 address.
func dottedQuad(c []byte) bool {
	var d [12]byte
	parts, n, nd := 0, 0, 0
	for i := 0; i <= len(c); i++ {
		if i == len(c) || c[i] == '.' {
			if !octet(d[:nd], nd-n, n) {
				return false
			}
			parts++
			n = 0
			continue
		}
		if !isDigit(c[i]) || nd == len(d) {
			return false
		}
		d[nd] = c[i] - '0'
		nd++
		n++
	}
	return parts == 4
}
