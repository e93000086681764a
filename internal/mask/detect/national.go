package detect

// National identity numbers. Each is checked as its issuer checks it; the
// ones that are bare digit runs with a weak or no checksum are found only
// when written in their usual groups or when the hint says which id it is.

// ssnAt returns the end of a US Social Security number, AAA-GG-SSSS (or
// with spaces; bare nine digits only under an ssn or national-id hint), or
// -1. The SSA never issues area 000, 666 or 900-999, group 00 or serial
// 0000; 078-05-1120 (printed on a wallet insert in 1938) and 219-09-9999
// (an advertisement's) were voided.
func ssnAt(g *numGroups, t []byte, h hintFlags) int {
	k := 3
	switch {
	case g.shape("- ", 3, 2, 4):
	case g.size[0] == 9 && h&(hSSN|hNatID) != 0 && h&(hSIN|hNHS|hAadhaar|hNINO) == 0:
		k = 1
	default:
		return -1
	}
	if !g.endsAt(t, k) {
		return -1
	}
	d := g.d[:9]
	area := int(d[0])*100 + int(d[1])*10 + int(d[2])
	group := int(d[3])*10 + int(d[4])
	serial := int(d[5])*1000 + int(d[6])*100 + int(d[7])*10 + int(d[8])
	switch {
	case area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0,
		area == 78 && group == 5 && serial == 1120, area == 219 && group == 9 && serial == 9999:
		return -1
	}
	return g.end[k-1]
}

// sinAt returns the end of a Canadian Social Insurance Number (nine digits,
// Luhn; 0 and 8 are not issued as first digits), or -1. Without a sin
// hint only the dashed form AAA-BBB-CCC counts: spaced, it reads like an
// amount with a thousands separator.
func sinAt(g *numGroups, t []byte, h hintFlags) int {
	k := 3
	switch {
	case g.shape("-", 3, 3, 3):
	case g.shape(" ", 3, 3, 3) && h&hSIN != 0:
	case g.size[0] == 9 && h&hSIN != 0:
		k = 1
	default:
		return -1
	}
	d := g.d[:9]
	if d[0] == 0 || d[0] == 8 || !luhn(d) || !g.endsAt(t, k) {
		return -1
	}
	return g.end[k-1]
}

// nhsAt returns the end of an NHS number (England, Wales and the Isle of
// Man): ten digits, written 3-3-4 with spaces, whose last is a mod-11
// check digit; dashed (the North American way to write a phone number) or
// bare only under an nhs hint. Or -1.
func nhsAt(g *numGroups, t []byte, h hintFlags) int {
	k := 3
	switch {
	case g.shape(" ", 3, 3, 4):
	case g.shape("-", 3, 3, 4) && h&hNHS != 0:
	case g.size[0] == 10 && h&hNHS != 0:
		k = 1
	default:
		return -1
	}
	if !nhsValid(g.d[:10]) || !g.endsAt(t, k) {
		return -1
	}
	return g.end[k-1]
}

// aadhaarAt returns the end of an Aadhaar number: twelve digits, written
// 4-4-4, not starting with 0 or 1, whose last is a Verhoeff check digit;
// bare twelve digits only under an aadhaar or national-id hint. Or -1.
func aadhaarAt(g *numGroups, t []byte, h hintFlags) int {
	k := 3
	switch {
	case g.shape(" -", 4, 4, 4):
	case g.size[0] == 12 && h&(hAadhaar|hNatID) != 0:
		k = 1
	default:
		return -1
	}
	d := g.d[:12]
	if d[0] < 2 || !verhoeff(d) || !g.endsAt(t, k) {
		return -1
	}
	return g.end[k-1]
}

// nifAt returns the end of a Spanish DNI number (the NIF of a person):
// eight digits and the letter of their value mod 23, as "12345678Z" or
// "12345678-Z". The digit run is t[i:j]. Or -1.
func nifAt(t []byte, i, j int) int {
	var l int
	switch {
	case j-i == 9 && isDigit(t[i+7]):
		l = i + 8
	case j-i == 8 && j+1 < len(t) && t[j] == '-' && isLetter(t[j+1]) && (j+2 >= len(t) || !isAlnum(t[j+2])):
		l = j + 1
	default:
		return -1
	}
	n := 0
	for _, c := range t[i : i+8] {
		if !isDigit(c) {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if lower(t[l]) != lower(nifLetters[n%23]) || !numRightOK(t, l+1) {
		return -1
	}
	return l + 1
}

// nieAt returns the end of a Spanish NIE (foreigner's number) at i: X, Y or
// Z, seven digits, and the letter of the number mod 23 with X, Y, Z read as
// 0, 1, 2. The word is t[i:j]. Or -1.
func nieAt(t []byte, i, j int) int {
	if j-i != 9 {
		return -1
	}
	n := int(t[i] - 'X')
	if n < 0 || n > 2 {
		return -1
	}
	for _, c := range t[i+1 : i+8] {
		if !isDigit(c) {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if t[i+8] != nifLetters[n%23] {
		return -1
	}
	return j
}

// ninoAt returns the end of a UK National Insurance number at i: two
// letters, six digits and a suffix A-D, as "AB123456C" or "AB 12 34 56 C";
// without the suffix only under a nino hint. HMRC never issues D, F, I, Q,
// U or V as either prefix letter, nor O as the second, nor the prefixes BG,
// GB, KN, NK, NT, TN and ZZ. Or -1.
func ninoAt(t []byte, i int, h hintFlags) int {
	if i+8 > len(t) || !isUpper(t[i]) || !isUpper(t[i+1]) {
		return -1
	}
	a, b := t[i], t[i+1]
	switch a {
	case 'D', 'F', 'I', 'Q', 'U', 'V':
		return -1
	}
	switch b {
	case 'D', 'F', 'I', 'O', 'Q', 'U', 'V':
		return -1
	}
	switch string(t[i : i+2]) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return -1
	}
	j := i + 2
	spaced := t[j] == ' '
	for range 3 {
		if spaced {
			if j >= len(t) || t[j] != ' ' {
				return -1
			}
			j++
		}
		if j+2 > len(t) || !isDigit(t[j]) || !isDigit(t[j+1]) {
			return -1
		}
		j += 2
	}
	end := j
	if spaced && j+1 < len(t) && t[j] == ' ' {
		j++
	}
	if j < len(t) && t[j] >= 'A' && t[j] <= 'D' && (j+1 >= len(t) || !isAlnum(t[j+1])) {
		return j + 1
	}
	if h&hNINO != 0 && (end >= len(t) || !isAlnum(t[end])) {
		return end
	}
	return -1
}
