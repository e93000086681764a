package detect

// ibanCountries lists the countries of the ISO 13616 IBAN registry, each
// with the length of its IBANs.
const ibanCountries = "" +
	"AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 " +
	"DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 " +
	"IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 " +
	"MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 " +
	"SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30 "

// ibanLengths maps a country code (its letters as 0-25, first*26+second)
// to the length of its IBANs, 0 for none.
var ibanLengths = func() (t [26 * 26]uint8) {
	for i := 0; i+4 < len(ibanCountries); i += 5 {
		c := ibanCountries[i : i+4]
		t[int(c[0]-'A')*26+int(c[1]-'A')] = (c[2]-'0')*10 + c[3] - '0'
	}
	return t
}()

// ibanAt returns the end of the IBAN at i, or -1: a country code of the
// registry, two check digits and the country's number of letters and
// digits, bare or in groups of four joined by single spaces (as IBANs are
// printed), whose mod-97 check (ISO 7064) leaves 1.
func ibanAt(t []byte, i int) int {
	if i+4 > len(t) || !isUpper(t[i]) || !isUpper(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
		return -1
	}
	n := int(ibanLengths[int(t[i]-'A')*26+int(t[i+1]-'A')])
	if n == 0 {
		return -1
	}
	var buf [34]byte
	copy(buf[:4], t[i:i+4])
	spaced := i+4 < len(t) && t[i+4] == ' '
	j, k := i+4, 4
	for k < n {
		if spaced && k%4 == 0 {
			if j >= len(t) || t[j] != ' ' {
				return -1
			}
			j++
		}
		if j >= len(t) || !isAlnum(t[j]) {
			return -1
		}
		c := t[j]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[k] = c
		j++
		k++
	}
	if j < len(t) && (isAlnum(t[j]) || t[j] == '_') {
		return -1
	}
	// The check: move the first four characters to the end, read letters
	// as 10-35, and take the number mod 97.
	r := 0
	for x := range n {
		c := buf[(x+4)%n]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	if r != 1 {
		return -1
	}
	return j
}
