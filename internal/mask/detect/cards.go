package detect

// Payment card numbers (ISO/IEC 7812 PANs): 13 to 19 digits, bare or in
// groups joined by spaces or dashes whose first group has four digits (as
// cards print them: 4-4-4-4, Amex 4-6-5, 4-4-4-4-3). A number is a card
// number only if it passes the Luhn check and its prefix and length belong
// to a card scheme, so order numbers and ids of the same length stay clear.

// cardAt returns the end of the card number that begins the groups g, or
// -1. It tries the most groups first.
func cardAt(g *numGroups, t []byte) int {
	if g.n == 1 || g.size[0] == 4 {
		total := g.nd
		for k := g.n; k >= 1; k-- {
			if k < g.n {
				total -= int(g.size[k])
			}
			if total < 13 || total > 19 || !cardGroups(g, k) || !g.endsAt(t, k) {
				continue
			}
			d := g.d[:total]
			if cardBrand(d) && luhn(d) {
				return g.end[k-1]
			}
		}
	}
	return -1
}

// cardGroups reports whether the first k groups are grouped as cards are.
func cardGroups(g *numGroups, k int) bool {
	if k == 1 {
		return true
	}
	sep := g.sep[0]
	if sep != ' ' && sep != '-' {
		return false
	}
	for i := 1; i < k; i++ {
		if g.sep[i-1] != sep || g.size[i] < 3 || g.size[i] > 7 {
			return false
		}
	}
	return true
}

// cardBrand reports whether d begins with the prefix of a card scheme that
// issues numbers of its length.
func cardBrand(d []byte) bool {
	n := len(d)
	p2 := int(d[0])*10 + int(d[1])
	p3 := p2*10 + int(d[2])
	p4 := p3*10 + int(d[3])
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65: // Discover (and RuPay on 65)
		return n >= 16
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p3 >= 300 && p3 <= 305, p4 == 3095, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14
	case p2 == 62, p2 == 81: // UnionPay (and co-branded Discover 622126-622925)
		return n >= 16
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 == 6761, p4 == 6762, p4 == 6763,
		p2 == 50, p2 >= 56 && p2 <= 58, p2 == 63, p2 == 67: // Maestro
		return n >= 13
	case p2 == 60, p3 == 508, p2 == 82: // RuPay
		return n == 16
	}
	return false
}
