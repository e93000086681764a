package detect

import "strings"

// Byte classes.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cHex   // 0-9 a-f A-F
	cLocal // an e-mail address's local part: letters, digits, . _ % + -, non-ASCII
	cB64   // base64 and base64url: letters, digits, + / = - _
	cLabel // a domain label: letters, digits, -

	cAlnum = cDigit | cUpper | cLower
)

var charClass = func() (t [256]uint8) {
	for c := range 256 {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k = cDigit | cHex
		case c >= 'A' && c <= 'Z':
			k = cUpper
		case c >= 'a' && c <= 'z':
			k = cLower
		}
		if (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			k |= cHex
		}
		if k&cAlnum != 0 {
			k |= cLocal | cB64 | cLabel
		}
		switch c {
		case '.', '_', '%':
			k |= cLocal
		case '+':
			k |= cLocal | cB64
		case '-':
			k |= cLocal | cB64 | cLabel
		case '/', '=':
			k |= cB64
		}
		if c == '_' {
			k |= cB64
		}
		if c >= 0x80 {
			k |= cLocal // UTF-8 in a local part (RFC 6531)
		}
		t[c] = k
	}
	return t
}()

func isDigit(c byte) bool  { return c-'0' < 10 }
func isAlnum(c byte) bool  { return charClass[c]&cAlnum != 0 }
func isUpper(c byte) bool  { return c-'A' < 26 }
func isLetter(c byte) bool { return charClass[c]&(cUpper|cLower) != 0 }
func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// What a byte may begin.
const (
	stNone   = iota
	stWord   // a letter or digit
	stPlus   // '+': an international phone number
	stParen  // '(': a phone number with its area code in parentheses
	stDollar // '$': a crypt(3) password hash
	stDash   // '-': a PEM private key
	stColon  // ':': an IPv6 address ("::1"), or a key before it
	stEquals // '=': a key before it
	stAt     // '@': an e-mail address
)

var startKind = func() (t [256]uint8) {
	for c := range 256 {
		if isAlnum(byte(c)) {
			t[c] = stWord
		}
	}
	t['+'], t['('], t['$'], t['-'], t[':'], t['='], t['@'] = stPlus, stParen, stDollar, stDash, stColon, stEquals, stAt
	return t
}()

// quietWord holds the letters that begin no value when the next letter is
// lower case, no ':' follows the word (a URL scheme, an IPv6 address), and
// either no secret hint or key is in force or the word is too short to be
// a high-entropy token.
var quietWord = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isLetter(byte(c)) && strings.IndexByte("ABXYZbeghprswx", byte(c)) < 0
	}
	return t
}()

// hintFlags are what a hint (or a key in the text) tells the detectors.
type hintFlags uint32

const (
	hPhone    hintFlags = 1 << iota // bare digit runs may be phone numbers
	hSSN                            // bare 9 digits may be a US SSN
	hSIN                            // bare or spaced 9 digits may be a Canadian SIN
	hNHS                            // bare 10 digits may be an NHS number
	hAadhaar                        // bare 12 digits may be an Aadhaar number
	hNINO                           // a NINO may lack its suffix letter
	hNatID                          // some national id: bare 9 digits may be an SSN, 12 an Aadhaar
	hSecret                         // high-entropy tokens are secrets
	hAWS                            // a 40-character token is an AWS secret key
	hDOB                            // dates are dates of birth
	hPassword                       // (keys only) the whole value is a password
	hName                           // (keys only) the whole value is a person's name
	hAddress                        // (keys only) the whole value is a postal address

	// keyOnly flags act on a key's value, never on a whole text.
	keyOnly = hPassword | hName | hAddress
)

// classFlags returns the flags a name of class c sets.
func classFlags(c Class) hintFlags {
	switch c {
	case Phone:
		return hPhone
	case NationalID:
		return hNatID
	case Secret:
		return hSecret
	case DateOfBirth:
		return hDOB
	case PersonName:
		return hName
	case Address:
		return hAddress
	}
	return 0
}

// Hint is a prepared context hint: Scan(dst, text, hint) is
// NewHint(hint).Scan(dst, text), without working the hint out again for
// every text. The zero Hint is no hint.
type Hint struct{ flags hintFlags }

// NewHint prepares a hint: context such as a column name, judged as
// ClassOfName judges names. Only some hints change what is found: a phone
// hint (bare digit runs are phone numbers), a national-id hint (bare 9
// digits are a US SSN, or a Canadian SIN when the hint says sin; bare 10
// digits are an NHS number when it says nhs; bare 12 an Aadhaar number), a
// secret hint (high-entropy tokens are secrets; a 40-character one is an
// AWS secret key when the hint says aws), and a date-of-birth hint (dates
// are dates of birth).
func NewHint(hint string) Hint {
	_, f := classify(hint)
	return Hint{f &^ keyOnly}
}

// Scan appends to dst the sensitive values found in text and returns dst.
// hint is context such as the column name ("" when none); see NewHint for
// what it changes.
//
// Findings are in ascending order and do not overlap: scanning goes on
// after each finding, so a value that would begin inside an earlier one is
// not reported. Where several detectors match at one position the longest
// match is kept, and of two as long the more specific: a checksummed
// national id over a phone number (unless the hint is a phone hint), an
// IPv4 address over a phone number, a JWT over a bearer token.
//
// Scan does not allocate when cap(dst)-len(dst) is at least the number of
// findings, never panics whatever text holds, takes time linear in
// len(text), and is safe for concurrent use.
func Scan(dst []Finding, text []byte, hint string) []Finding {
	return NewHint(hint).Scan(dst, text)
}

// Contains reports whether Scan would find anything. It stops at the first
// finding.
func Contains(text []byte, hint string) bool {
	return NewHint(hint).Contains(text)
}

// Scan is the package's Scan with h as the hint.
func (h Hint) Scan(dst []Finding, text []byte) []Finding {
	s := scanner{text: text, dst: dst, flags: h.flags}
	s.run()
	return s.dst
}

// Contains is the package's Contains with h as the hint.
func (h Hint) Contains(text []byte) bool {
	s := scanner{text: text, flags: h.flags, first: true}
	s.run()
	return s.found
}

// A scanner makes one pass over a text. Values are found where they begin:
// at the start of a word (a run of letters and digits) by its first bytes,
// at the punctuation that begins some formats (+ ( $ -), at '@' for an
// e-mail address (its local part is found backwards, never before the last
// finding), and after the ':' or '=' of a key=value pair. Each finding
// starts at or after the end of the one before, so findings come out in
// order and never overlap.
type scanner struct {
	text  []byte
	dst   []Finding
	flags hintFlags
	first bool // stop at the first finding (Contains)
	found bool

	last int // end of the last finding

	// A key's value: positions before kvEnd also use kvFlags.
	kvEnd   int
	kvFlags hintFlags

	awsKeyEnd  int // end of the last AWS access key id, 0 if none
	userAt     int // the '@' after a URL's user name, 0 if none
	noEntropy  int // entropy checks skip words that begin before this
	pemEndFrom int // searched for "-----END " from here…
	pemEnd     int // …and found it here (-1: nowhere)
}

func (s *scanner) run() {
	t := s.text
	s.pemEnd = -1
	s.pemEndFrom = -1
	for i := 0; i < len(t); {
		switch startKind[t[i]] {
		case stNone:
			for i++; i < len(t) && startKind[t[i]] == stNone; i++ {
			}
			continue
		case stWord:
			i = s.word(i)
		case stPlus, stParen:
			i = s.phoneStart(i)
		case stDollar:
			i = s.passwordHash(i)
		case stDash:
			i = s.pem(i)
		case stColon, stEquals:
			i = s.keyValue(i)
		case stAt:
			i = s.email(i)
		}
		if s.found {
			return
		}
	}
}

// hintAt returns the flags that apply to a value starting at i.
func (s *scanner) hintAt(i int) hintFlags {
	if i < s.kvEnd {
		return s.flags | s.kvFlags
	}
	return s.flags
}

// emit records text[start:end] as found by d.
func (s *scanner) emit(start, end int, d DetectorInfo) {
	if start < s.last || end <= start || end > len(s.text) {
		return // cannot happen: each detector starts after the last finding
	}
	s.last = end
	if s.first {
		s.found = true
		return
	}
	s.dst = append(s.dst, Finding{Start: start, End: end, Class: d.Class, Detector: d.Name})
}

// best keeps the longest candidate found at one start; of two as long, the
// one considered first.
type best struct {
	end int
	d   DetectorInfo
}

func (b *best) consider(end int, d DetectorInfo) {
	if end > b.end {
		b.end, b.d = end, d
	}
}

// word judges the word that begins at i and returns where scanning goes on.
func (s *scanner) word(i int) int {
	t := s.text
	j := i + 1
	for j < len(t) && isAlnum(t[j]) {
		j++
	}
	if quietWord[t[i]] && (j >= len(t) || t[j] != ':') && (j-i < 2 || !isUpper(t[i+1])) && i >= s.kvEnd &&
		((s.flags&(hSecret|hAWS) == 0 && s.awsKeyEnd == 0) || (j-i < 20 && (j == len(t) || charClass[t[j]]&cB64 == 0))) {
		return j // the common case: a word no detector begins with (nor a token long enough for entropy)
	}
	h := s.hintAt(i)
	var b best
	if isDigit(t[i]) {
		s.numeric(i, j, h, &b)
	} else if next, ok := s.letters(i, j, h, &b); ok {
		return next
	}
	if charClass[t[i]]&cHex != 0 && j-i <= 4 && j < len(t) && t[j] == ':' {
		if e := ipv6At(t, i); e > 0 {
			b.consider(e, dIPv6)
		}
	}
	if b.end == 0 && i >= s.noEntropy && (h&(hSecret|hAWS) != 0 || s.awsKeyNear(i)) {
		s.entropy(i, h, &b)
	}
	if b.end > 0 {
		s.emit(i, b.end, b.d)
		if b.d == dAWSAccessKey {
			s.awsKeyEnd = b.end
		}
		return b.end
	}
	return j
}
