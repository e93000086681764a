package detect

// dateAt returns the end of the date that begins the groups g, or -1; it
// is asked only under a date-of-birth hint or key. A date is Y-M-D (4-2-2,
// 4-1-1) or D-M-Y / M-D-Y (1-2 digits, 1-2 digits, 4), joined by '-', '/'
// or '.', with a year from 1900 to 2099 and a day its month has (29
// February only in leap years); a time may follow (T12:00 or a space).
func dateAt(g *numGroups, t []byte) int {
	if g.n < 3 || g.sep[0] != g.sep[1] || (g.sep[0] != '-' && g.sep[0] != '/' && g.sep[0] != '.') {
		return -1
	}
	var v [3]int
	at := 0
	for k := range 3 {
		for _, c := range g.d[at : at+int(g.size[k])] {
			v[k] = v[k]*10 + int(c)
		}
		at += int(g.size[k])
	}
	a, b, c := g.size[0], g.size[1], g.size[2]
	switch {
	case a == 4 && b <= 2 && c <= 2:
		if !validDate(v[0], v[1], v[2]) {
			return -1
		}
	case a <= 2 && b <= 2 && c == 4:
		if !validDate(v[2], v[1], v[0]) && !validDate(v[2], v[0], v[1]) {
			return -1
		}
	default:
		return -1
	}
	e := g.end[2]
	if e+1 < len(t) && t[e] == 'T' && isDigit(t[e+1]) {
		return e
	}
	if !g.endsAt(t, 3) {
		return -1
	}
	return e
}

// validDate reports whether y-m-d is a day of the Gregorian calendar in
// 1900-2099.
func validDate(y, m, d int) bool {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}
