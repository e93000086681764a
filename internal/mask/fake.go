package mask

import (
	"math"
	"strconv"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Fakes are drawn from a prng seeded with the value's HMAC under the fake
// subkey, so they are deterministic per key, Class and value, and say
// nothing of the value. Where a fictional range exists (NANP 555-01xx,
// Ofcom's drama numbers, the documentation address blocks, example.com,
// test card BINs) fakes stay in it, so a fake never reaches a real person.

// fakeString appends a fake of the character data v for its class.
// Classes without a fake (Secret: a realistic fake would look like a
// leaked credential to secret scanners) get a token.
func (t *Transformer) fakeString(w *worker, dst, v []byte, class detect.Class) []byte {
	var p prng
	p.b = *w.sum(t.scope(purposeFake, class), famText, v)
	switch class {
	case detect.Email:
		// 32 bits: 10,000 distinct addresses collide with probability ~1%.
		dst = append(dst, "user-"...)
		for _, c := range p.b[:4] {
			dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
		}
		return append(dst, "@example.com"...)
	case detect.Phone:
		return fakePhone(dst, &p, v)
	case detect.PersonName:
		return fakeName(dst, &p, v)
	case detect.NationalID:
		return fakeID(dst, &p, v)
	case detect.CardNumber:
		return fakeCard(dst, &p, v)
	case detect.IBAN:
		return fakeIBAN(dst, &p, v)
	case detect.Address:
		dst = strconv.AppendUint(dst, 1+p.uintn(9999), 10)
		dst = append(append(dst, ' '), streets[p.uintn(uint64(len(streets)))]...)
		dst = append(append(dst, ' '), streetKinds[p.uintn(uint64(len(streetKinds)))]...)
		for _, c := range v {
			if c == ',' {
				return append(append(dst, ", "...), towns[p.uintn(uint64(len(towns)))]...)
			}
		}
		return dst
	case detect.DateOfBirth:
		return appendDate(dst, birthDay(&p))
	case detect.IPAddress:
		var d datum
		for _, c := range v {
			d.v6 = d.v6 || c == ':'
		}
		fakeAddr(&d, &p)
		if d.v6 {
			d.bits = 128
		} else {
			d.bits = 32
		}
		return appendInet(dst, &d)
	}
	return t.maskString(w, dst, v, class, Token)
}

// fakeTyped replaces a non-character value by a fake, or reports false if
// its type and class have none (the caller then uses a token).
func (t *Transformer) fakeTyped(w *worker, d *datum, ty pgType, class detect.Class) bool {
	var p prng
	switch ty.fam {
	case famDate, famTimestamp, famTimestamptz, famTime, famInet:
		p.b = *w.sum(t.scope(purposeFake, class), ty.fam, canonical(w, d, ty))
	case famInt, famNumeric:
		return t.fakeNumber(w, d, ty, class)
	default:
		return false
	}
	switch ty.fam {
	case famDate:
		if d.i != math.MaxInt32 && d.i != math.MinInt32 {
			d.i = fakeDay(&p, d.i, class)
		}
	case famTimestamp, famTimestamptz:
		if d.i != math.MaxInt64 && d.i != math.MinInt64 {
			d.i = fakeDay(&p, floorDiv(d.i, usecPerDay), class)*usecPerDay + int64(p.uintn(86400))*usecPerSec
		}
	case famTime:
		d.i = int64(p.uintn(86400)) * usecPerSec
	case famInet:
		fakeAddr(d, &p)
		d.mask()
	}
	return true
}

// fakeDay is a birth date for DateOfBirth, else a day of the same year
// (plausible for the column, and no more revealing than Partial).
func fakeDay(p *prng, day int64, class detect.Class) int64 {
	if class == detect.DateOfBirth {
		return birthDay(p)
	}
	y, _, _ := civilFromDays(day)
	first, next := max(daysFromCivil(y, 1, 1), minDay), daysFromCivil(y+1, 1, 1)
	return first + int64(p.uintn(uint64(next-first)))
}

// birthDay is a day in 1940-2005.
func birthDay(p *prng) int64 {
	from, to := daysFromCivil(1940, 1, 1), daysFromCivil(2006, 1, 1)
	return from + int64(p.uintn(uint64(to-from)))
}

// fakeAddr draws an address from the documentation blocks: 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) or 2001:db8::/32 (RFC 3849).
// The prefix length is kept.
func fakeAddr(d *datum, p *prng) {
	d.b = [16]byte{}
	if d.v6 {
		d.b[0], d.b[1], d.b[2], d.b[3] = 0x20, 0x01, 0x0d, 0xb8
		for i := 4; i < 16; i++ {
			d.b[i] = p.byte()
		}
		return
	}
	blocks := [...][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	b := blocks[p.uintn(3)]
	d.b[0], d.b[1], d.b[2], d.b[3] = b[0], b[1], b[2], byte(1+p.uintn(254))
}

// fakeNumber fakes phone, card and identifier numbers held in integer and
// numeric columns: the digits of the matching text fake, if they make a
// value of the type.
func (t *Transformer) fakeNumber(w *worker, d *datum, ty pgType, class detect.Class) bool {
	if class != detect.Phone && class != detect.CardNumber && class != detect.NationalID {
		return false
	}
	digits := w.canon[:0]
	if ty.fam == famInt {
		if d.i < 0 {
			return false
		}
		digits = strconv.AppendInt(digits, d.i, 10)
	} else {
		if d.inf != 0 || d.neg || d.exp < int32(len(d.s)) || d.exp > 19 {
			return false // not a natural number of at most 19 digits
		}
		digits = append(digits, d.s...)
		for len(digits) < int(d.exp) {
			digits = append(digits, '0')
		}
	}
	w.canon = digits
	out := t.fakeString(w, w.str[:0], digits, class)
	w.str = out
	if len(out) == 0 || len(out) > 19 || out[0] == '0' {
		return false
	}
	var u uint64
	for _, c := range out {
		if !isDigit(c) {
			return false
		}
		u = u*10 + uint64(c-'0')
	}
	if ty.fam == famInt {
		if u > ty.max() {
			return false
		}
		d.i = int64(u)
		return true
	}
	d.setDecimal(out, len(out), false)
	d.dscale = 0
	return true
}

// fakePhone keeps the format, the leading '+', the country code and the
// number of digits. North American numbers become NPA-555-01xx and UK
// numbers 07700 900xxx, both reserved for fiction; other countries get
// random digits (no reserved range is known to this package), keeping a
// leading trunk 0.
func fakePhone(dst []byte, p *prng, v []byte) []byte {
	var orig, gen [32]byte
	n, plus := 0, false
	for _, c := range v {
		switch {
		case isDigit(c) && n < len(orig):
			orig[n] = c
			n++
		case c == '+' && n == 0:
			plus = true
		}
	}
	template := n == 0 || n == len(orig)
	if template {
		// Nothing to keep the shape of: a North American number.
		v = []byte("+1 NNN-NNN-NNNN")
		n, plus = 11, true
		orig[0] = '1'
	}
	cc := 0
	switch {
	case plus:
		cc = countryCodeLen(orig[:n])
	case n == 11 && orig[0] == '1':
		cc = 1
	}
	copy(gen[:cc], orig[:cc])
	national := gen[cc:n]
	code := string(orig[:cc])
	switch {
	case len(national) == 10 && (code == "1" || (!plus && cc == 0 && orig[0] != '0')):
		national[0] = '2' + byte(p.uintn(8)) // area codes start 2-9
		national[1], national[2] = p.digit(), p.digit()
		copy(national[3:], "55501")
		national[8], national[9] = p.digit(), p.digit()
	case len(national) == 10 && code == "44":
		copy(national, "7700900")
		for i := 7; i < 10; i++ {
			national[i] = p.digit()
		}
	default:
		for i := range national {
			national[i] = p.digit()
		}
		if len(national) > 0 {
			switch {
			case orig[cc] == '0':
				national[0] = '0'
			case national[0] == '0':
				national[0] = '1' + byte(p.uintn(9))
			}
		}
	}
	k := 0
	for _, c := range v {
		switch {
		case isDigit(c) || (template && c == 'N'):
			if k < n {
				dst = append(dst, gen[k])
				k++
			}
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '+' || c == '/':
			dst = append(dst, c)
		}
	}
	return dst
}

// countryCodeLen is the length of the ITU country code at the start of d.
func countryCodeLen(d []byte) int {
	if len(d) == 0 || d[0] == '1' || d[0] == '7' {
		return min(len(d), 1)
	}
	if len(d) < 3 {
		return len(d)
	}
	switch string(d[:2]) {
	case "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
		"48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
		"66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98":
		return 2
	}
	return 3
}

// fakeName is a first name, and a last name if v has two words or more.
func fakeName(dst []byte, p *prng, v []byte) []byte {
	words, in := 0, false
	for _, c := range v {
		space := c == ' ' || c == '\t' || c == '\n'
		if !space && !in {
			words++
		}
		in = !space
	}
	dst = append(dst, firstNames[p.uintn(uint64(len(firstNames)))]...)
	if words >= 2 {
		dst = append(append(dst, ' '), lastNames[p.uintn(uint64(len(lastNames)))]...)
	}
	return dst
}

// fakeID keeps the format of an identifier: each digit becomes a random
// digit and each letter a random letter of the same case. Nine-digit
// numbers (the US SSN shape) start with 9, an area never issued as an
// SSN.
func fakeID(dst []byte, p *prng, v []byte) []byte {
	digits := 0
	for _, c := range v {
		if isDigit(c) {
			digits++
		}
	}
	first := true
	for _, r := range string(v) {
		switch {
		case r >= '0' && r <= '9':
			c := p.digit()
			if first && digits == 9 {
				c = '9'
			}
			first = false
			dst = append(dst, c)
		case r >= 'a' && r <= 'z':
			dst = append(dst, p.letter()+'a'-'A')
		case isAlnum(r):
			dst = append(dst, p.letter())
		case safe(r):
			dst = append(dst, byte(r)) // safe punctuation is ASCII
		}
	}
	if len(dst) == 0 {
		return append(dst, redacted...)
	}
	return dst
}

// testBIN is the issuer prefix of fake card numbers: Visa's 400000, used by
// payment processors' test cards.
const testBIN = "400000"

// fakeCard keeps the number of digits (13-19, else 16) and the format, with
// the test BIN and a valid Luhn check digit.
func fakeCard(dst []byte, p *prng, v []byte) []byte {
	n := 0
	for _, c := range v {
		if isDigit(c) {
			n++
		}
	}
	keep := n >= 13 && n <= 19
	if !keep {
		n = 16
	}
	var gen [19]byte
	copy(gen[:], testBIN)
	for i := len(testBIN); i < n-1; i++ {
		gen[i] = p.digit()
	}
	gen[n-1] = luhnDigit(gen[:n-1])
	if !keep {
		return append(dst, gen[:n]...)
	}
	k := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			dst = append(dst, gen[k])
			k++
		case c == ' ' || c == '-' || c == '.':
			dst = append(dst, c)
		}
	}
	return dst
}

// luhnDigit returns the check digit that makes payload‖digit pass Luhn.
func luhnDigit(payload []byte) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// fakeIBAN keeps the country, the length, the format and the pattern of
// letters and digits of the account part, and computes valid ISO 7064
// mod 97-10 check digits. A value that is not IBAN-shaped becomes a German
// IBAN.
func fakeIBAN(dst []byte, p *prng, v []byte) []byte {
	var gen [34]byte
	n := 0
	for _, c := range v {
		if isAlnum(rune(c)) && c < 0x80 && n < len(gen) {
			gen[n] = upper(c)
			n++
		}
	}
	keep := n >= 5 && gen[0] >= 'A' && gen[0] <= 'Z' && gen[1] >= 'A' && gen[1] <= 'Z'
	if !keep {
		n = 22
		copy(gen[:], "DE000000000000000000000")
	}
	for i := 4; i < n; i++ {
		if gen[i] >= 'A' && gen[i] <= 'Z' {
			gen[i] = p.letter()
		} else {
			gen[i] = p.digit()
		}
	}
	// Check digits: 98 - (BBAN ‖ country ‖ "00" as digits, A=10…Z=35) mod 97.
	r := 0
	add := func(c byte) {
		if c >= 'A' {
			r = (r*100 + int(c-'A'+10)) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	for _, c := range gen[4:n] {
		add(c)
	}
	add(gen[0])
	add(gen[1])
	add('0')
	add('0')
	check := 98 - r
	gen[2], gen[3] = byte('0'+check/10), byte('0'+check%10)
	if !keep {
		return append(dst, gen[:n]...)
	}
	k := 0
	for _, c := range v {
		switch {
		case isAlnum(rune(c)) && c < 0x80:
			if k < n {
				out := gen[k]
				if c >= 'a' && out >= 'A' {
					out += 'a' - 'A'
				}
				dst = append(dst, out)
				k++
			}
		case c == ' ' || c == '-':
			dst = append(dst, c)
		}
	}
	return dst
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// Small built-in lists: enough variety to read naturally, and no real
// person's full name on purpose.
var (
	firstNames = [...]string{"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
		"Avery", "Quinn", "Robin", "Charlie", "Drew", "Emery", "Finley", "Harper", "Jesse", "Kai",
		"Logan", "Noel", "Parker", "Reese", "Rowan", "Sage", "Skyler", "Toni", "Eden", "Blair",
		"Dana", "Ellis", "Lee", "Marion"}
	lastNames = [...]string{"Smith", "Jones", "Garcia", "Miller", "Davis", "Martin", "Lopez", "Wilson",
		"Moore", "Taylor", "Thomas", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young",
		"King", "Wright", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Perez",
		"Roberts", "Turner", "Phillips", "Campbell"}
	streets     = [...]string{"Maple", "Oak", "Cedar", "Pine", "Elm", "Birch", "Willow", "Lake", "Hill", "Park", "Main", "Church", "Mill", "River", "Spring", "Sunset"}
	streetKinds = [...]string{"Street", "Avenue", "Road", "Lane", "Drive", "Way"}
	towns       = [...]string{"Springfield", "Riverton", "Fairview", "Lakeside", "Greenville", "Oakdale", "Milltown", "Brookfield"}
)
