package mask

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Strategy is how a sensitive value is masked.
type Strategy string

const (
	// Clear leaves the value as it is.
	Clear Strategy = "clear"
	// Redact replaces the value by a constant: "****" for character
	// types, a valid constant of the type otherwise (0, false, the empty
	// bytea, 1900-01-01, 00:00:00, 0.0.0.0 or ::, the nil UUID, the zero
	// MAC address, and {} [] "****" 0 false null for JSON, by the shape of
	// the value).
	Redact Strategy = "redact"
	// Partial keeps what lets a person recognise the record: the email
	// domain ("****@example.com"), the last 4 letters or digits of phone,
	// card, IBAN and identifier numbers, the first letter of each name, the
	// year of a date (1 January), the /24 (IPv4) or /48 (IPv6) of an
	// address. Numbers cannot hold '*', so for numeric types Partial is
	// Token.
	Partial Strategy = "partial"
	// Token is a deterministic keyed HMAC-SHA256 token that stays a value
	// of the type: text becomes "tok_" and 16 base32 letters (80 bits of
	// the MAC), an integer a positive integer of the type's range, a
	// numeric a number of 10-20 integer digits, a uuid a version 8 uuid, a
	// date a date in 1900-2099. The same value of the same Class always
	// masks the same way, across tables, columns and wire formats, so
	// joins and GROUP BY still work (though int4 and int8 tokens of one
	// value differ: each fills its own range). A bool masks to false
	// under every strategy but Clear and Nullify: a token of a two-valued
	// type is the value or its negation, which one known row reveals.
	Token Strategy = "token"
	// Fake is a deterministic, valid-looking value of the Class, seeded by
	// the HMAC: "user-7f3a9c01@example.com", a phone number of the same
	// length in a fictional range, a name from a small built-in list, an
	// IBAN with valid check digits, a card number with a test BIN and a
	// valid Luhn digit. Types and classes without a fake get a Token.
	Fake Strategy = "fake"
	// Nullify sends SQL NULL.
	Nullify Strategy = "nullify"
	// Hash is "sha256:" and 16 hex digits: the first 64 bits of a keyed
	// HMAC-SHA256 of the value, not a plain SHA-256, so it cannot be
	// recomputed from a guess without the key. Non-character types fall
	// back to Token, since a hex digest is not one of their values.
	Hash Strategy = "hash"
)

var strategies = [...]Strategy{Clear, Redact, Partial, Token, Fake, Nullify, Hash}

// ErrUnknownStrategy is returned by ParseStrategy for a name that is not
// a Strategy.
var ErrUnknownStrategy = errors.New("mask: unknown strategy")

// ParseStrategy validates a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	for _, v := range strategies {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w %q: use one of clear, redact, partial, token, fake, nullify, hash", ErrUnknownStrategy, s)
}

// effective returns the strategy that is applied to a value of family f:
// the fallbacks the Strategy docs promise.
func effective(s Strategy, f family) Strategy {
	switch s {
	case Clear, Nullify, Redact, Token:
		return s
	case Partial:
		switch f {
		case famBytea, famInt, famFloat, famNumeric, famInterval:
			return Token
		}
		return s
	case Fake:
		switch f {
		case famBytea, famFloat, famUUID, famMacaddr, famInterval:
			return Token
		}
		return s
	case Hash:
		if f.chars() {
			return s
		}
		return Token
	}
	// An unknown Strategy masks as hard as it can while staying a value
	// of the type: fail closed, but do not break the client's decoder.
	return Redact
}

// mask replaces d, a value of type ty, by its masked form. s is not Clear
// or Nullify.
func (t *Transformer) mask(w *worker, d *datum, ty pgType, class detect.Class, s Strategy) {
	s = effective(s, ty.fam)
	if ty.fam.chars() {
		t.maskChars(w, d, ty, class, s)
		return
	}
	if ty.fam == famBool {
		// A bool has two values: any deterministic mapping of them is
		// either the identity or its negation, and one known row reveals
		// which. Only a constant hides it.
		d.i = 0
		return
	}
	if s == Redact {
		redact(d, ty)
		return
	}
	if s == Partial && partialTyped(d, ty) {
		return
	}
	if s == Fake && t.fakeTyped(w, d, ty, class) {
		return
	}
	// Token, and Partial and Fake where they fall back to it.
	kept := [2]byte{d.b[14], d.b[15]}
	var p prng
	p.b = *w.sum(t.scope(purposeToken, class), ty.fam, canonical(w, d, ty))
	tokenTyped(w, d, ty, &p)
	if s == Partial && ty.fam == famUUID {
		// The last 4 hex digits, as for other identifiers.
		d.b[14], d.b[15] = kept[0], kept[1]
	}
}

// redact sets d to the type's constant.
func redact(d *datum, ty pgType) {
	switch ty.fam {
	case famBytea:
		d.s = nil
	case famInt, famTime:
		d.i = 0
	case famFloat:
		d.f = 0
	case famNumeric:
		*d = datum{dscale: min(d.dscale, maxScale)}
	case famDate:
		d.i = day1900
	case famTimestamp, famTimestamptz:
		d.i = day1900 * usecPerDay
	case famInterval:
		d.i, d.days, d.months = 0, 0, 0
	case famUUID, famMacaddr:
		d.b = [16]byte{}
	case famInet:
		d.b = [16]byte{}
	}
}

// maxScale caps the display scale of masked numerics, so a value with an
// absurd dscale does not print thousands of zeros.
const maxScale = 30

// Calendar constants, in PostgreSQL's epoch (days since 2000-01-01).
var (
	day1900 = daysFromCivil(1900, 1, 1)
	day2100 = daysFromCivil(2100, 1, 1)
)

// tokenTyped sets d to a token of its type drawn from p.
func tokenTyped(w *worker, d *datum, ty pgType, p *prng) {
	switch ty.fam {
	case famBytea:
		w.str = append(w.str[:0], p.b[:16]...)
		d.s = w.str
	case famInt:
		// Positive and never 0: ids are positive, and 0 often means "none".
		d.i = 1 + int64(p.uintn(ty.max()))
	case famFloat:
		// An integer exactly representable in the type.
		if ty.size == 4 {
			d.f = float64(p.uintn(1 << 24))
		} else {
			d.f = float64(p.uintn(1 << 53))
		}
	case famNumeric:
		tokenNumeric(w, d, p)
	case famDate:
		d.i = day1900 + int64(p.uintn(uint64(day2100-day1900)))
	case famTimestamp, famTimestamptz:
		d.i = (day1900+int64(p.uintn(uint64(day2100-day1900))))*usecPerDay + int64(p.uintn(86400))*usecPerSec
	case famTime:
		d.i = int64(p.uintn(86400)) * usecPerSec
	case famInterval:
		d.months, d.days, d.i = 0, int32(p.uintn(3650)), int64(p.uintn(86400))*usecPerSec
	case famUUID:
		copy(d.b[:], p.b[:16])
		d.b[6] = d.b[6]&0x0f | 0x80 // version 8: custom (RFC 9562)
		d.b[8] = d.b[8]&0x3f | 0x80 // variant 10
	case famInet:
		copy(d.b[:], p.b[:16])
		if !d.v6 {
			clear(d.b[4:])
		}
		d.mask()
	case famMacaddr:
		copy(d.b[:], p.b[:16])
		clear(d.b[ty.size:])
		d.b[0] = d.b[0]&^1 | 2 // unicast, locally administered: never a vendor's
	}
}

// tokenNumeric draws a non-negative number with as many integer digits as
// the value has, but at least 10 (so that tokens of small numbers do not
// collide: joins and GROUP BY need distinct values more than a typmod
// the client does not check) and at most 20, and the value's display
// scale (digits drawn for at most 10 of it).
func tokenNumeric(w *worker, d *datum, p *prng) {
	ints := 10
	if d.inf == 0 && d.exp > 10 {
		ints = min(int(d.exp), 20)
	}
	frac := min(int(d.dscale), 10)
	buf := w.str[:0]
	for i := range ints + frac {
		c := p.digit()
		if i == 0 && ints > 1 && c == '0' {
			c = '1' + byte(p.uintn(9))
		}
		buf = append(buf, c)
	}
	w.str = buf
	d.setDecimal(buf, ints, false)
	d.dscale = min(d.dscale, maxScale)
}

// partialTyped applies Partial to a non-character value; it reports false
// for types where Partial means Token.
func partialTyped(d *datum, ty pgType) bool {
	switch ty.fam {
	case famDate:
		if d.i != math.MaxInt32 && d.i != math.MinInt32 {
			y, _, _ := civilFromDays(d.i)
			d.i = max(daysFromCivil(y, 1, 1), minDay)
		}
	case famTimestamp, famTimestamptz:
		if d.i != math.MaxInt64 && d.i != math.MinInt64 {
			y, _, _ := civilFromDays(floorDiv(d.i, usecPerDay))
			d.i = max(daysFromCivil(y, 1, 1), minDay) * usecPerDay
		}
	case famTime:
		d.i -= d.i % usecPerHour
	case famInet:
		// The network a person is in, not the host: /24 or /48.
		if d.v6 {
			clear(d.b[6:])
		} else {
			d.b[3] = 0
		}
	case famMacaddr:
		// The vendor (OUI), not the device.
		clear(d.b[3:])
	case famUUID:
		return false // Token, with the last 4 hex digits kept: see mask
	default:
		return false
	}
	return true
}

// canonical returns the bytes a non-character value is MACed over: the
// same value gives the same bytes whatever its wire format, so text and
// binary clients see the same token.
func canonical(w *worker, d *datum, ty pgType) []byte {
	b := w.num[:0]
	switch ty.fam {
	case famInt, famDate, famTime, famTimestamp, famTimestamptz:
		return binary.BigEndian.AppendUint64(b, uint64(d.i))
	case famFloat:
		f := d.f
		if f == 0 {
			f = 0 // -0 and 0 are equal
		}
		if f != f {
			f = math.NaN()
		}
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case famInterval:
		b = binary.BigEndian.AppendUint32(b, uint32(d.months))
		b = binary.BigEndian.AppendUint32(b, uint32(d.days))
		return binary.BigEndian.AppendUint64(b, uint64(d.i))
	case famUUID:
		return append(b, d.b[:16]...)
	case famInet:
		if d.v6 {
			return append(append(b, 6, d.bits), d.b[:16]...)
		}
		return append(append(b, 4, d.bits), d.b[:4]...)
	case famMacaddr:
		return append(b, d.b[:ty.size]...)
	case famBytea:
		return d.s
	case famNumeric:
		c := w.canon[:0]
		switch {
		case d.inf == numNaN:
			c = append(c, "NaN"...)
		case d.inf > 0:
			c = append(c, "Infinity"...)
		case d.inf < 0:
			c = append(c, "-Infinity"...)
		default:
			if d.neg {
				c = append(c, '-')
			}
			c = append(c, d.s...)
			c = append(c, 'e')
			c = binary.BigEndian.AppendUint32(c, uint32(d.exp))
		}
		w.canon = c
		return c
	}
	return b
}

// prng draws deterministic values from a MAC: the first 32 bytes are the
// MAC, then SHA-256 of the previous block, so long fakes do not repeat.
type prng struct {
	b [32]byte
	i int
}

func (p *prng) byte() byte {
	if p.i == len(p.b) {
		p.b = sumSHA256(p.b[:])
		p.i = 0
	}
	c := p.b[p.i]
	p.i++
	return c
}

func (p *prng) uint64() uint64 {
	var u uint64
	for range 8 {
		u = u<<8 | uint64(p.byte())
	}
	return u
}

// uintn returns a value in [0, n).
func (p *prng) uintn(n uint64) uint64 {
	hi, _ := bits.Mul64(p.uint64(), n)
	return hi
}

// digit returns an ASCII digit, uniformly (bytes ≥ 250 are redrawn).
func (p *prng) digit() byte {
	for {
		if c := p.byte(); c < 250 {
			return '0' + c%10
		}
	}
}

func (p *prng) letter() byte { return 'A' + byte(p.uintn(26)) }

// maskChars masks character data (text, varchar, bpchar, name, json,
// jsonb, xml, "char", and text-format types this package does not know).
func (t *Transformer) maskChars(w *worker, d *datum, ty pgType, class detect.Class, s Strategy) {
	if ty.fam == famChar {
		// One byte: '*', or a letter drawn from the MAC.
		if s == Redact || s == Partial {
			d.s = append(w.str[:0], '*')
		} else {
			mac := w.sum(t.scope(purposeOf(s), class), famText, d.s)
			d.s = append(w.str[:0], base32[mac[0]&31])
		}
		w.str = d.s
		return
	}
	content := d.s
	out := w.str[:0]
	quote := false
	switch ty.fam {
	case famBpchar:
		content = bytes.TrimRight(content, " ") // trailing spaces are insignificant in bpchar
	case famJSON, famJSONB:
		if s == Redact {
			out = redactJSON(out, content)
			w.str, d.s = out, out
			return
		}
		// Otherwise a JSON value becomes a JSON string. If it is already one, its
		// content is masked, so "a@b.com" masks as the text a@b.com does.
		content = bytes.Trim(content, " \t\r\n")
		if len(content) >= 2 && content[0] == '"' && content[len(content)-1] == '"' {
			content = content[1 : len(content)-1]
		} else if s == Partial {
			// Which part of an object or array to keep is for Spans to
			// say; as a whole, it keeps only its shape.
			out = redactJSON(out, content)
			w.str, d.s = out, out
			return
		}
		quote = true
	}
	if quote {
		out = append(out, '"')
	}
	out = t.maskString(w, out, content, class, s)
	if quote {
		out = append(out, '"')
	}
	switch ty.fam {
	case famBpchar:
		out = fitBpchar(w, out, utf8.RuneCount(d.s), s)
	case famName:
		out = truncateBytes(out, maxNameLen)
	}
	w.str, d.s = out, out
}

// maxNameLen is NAMEDATALEN-1, the longest value of type name.
const maxNameLen = 63

const redacted = "****"

// maskString appends the masked form of the character data v. Every
// output is valid UTF-8 without '"', '\\', '<', '&' or control characters,
// so it is valid inside JSON strings, XML content and free text.
func (t *Transformer) maskString(w *worker, dst, v []byte, class detect.Class, s Strategy) []byte {
	switch s {
	case Partial:
		return partialString(dst, v, class)
	case Token:
		mac := w.sum(t.scope(purposeToken, class), famText, v)
		return appendBase32(append(dst, "tok_"...), mac[:10])
	case Hash:
		mac := w.sum(t.scope(purposeHash, class), famText, v)
		dst = append(dst, "sha256:"...)
		for _, c := range mac[:8] {
			dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
		}
		return dst
	case Fake:
		return t.fakeString(w, dst, v, class)
	}
	return append(dst, redacted...)
}

func purposeOf(s Strategy) purpose {
	switch s {
	case Hash:
		return purposeHash
	case Fake:
		return purposeFake
	}
	return purposeToken
}

const (
	hexDigits = "0123456789abcdef"
	base32    = "abcdefghijklmnopqrstuvwxyz234567" // RFC 4648, lower case
)

// appendBase32 appends b (a multiple of 5 bytes) in unpadded base32.
func appendBase32(dst, b []byte) []byte {
	for ; len(b) >= 5; b = b[5:] {
		u := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
		for shift := 35; shift >= 0; shift -= 5 {
			dst = append(dst, base32[u>>shift&31])
		}
	}
	return dst
}

// redactJSON keeps the shape of a JSON value: {} for an object, [] for an
// array, "****" for a string, 0, false or null for scalars.
func redactJSON(dst, v []byte) []byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return append(dst, "null"...)
	}
	switch v[0] {
	case '{':
		return append(dst, "{}"...)
	case '[':
		return append(dst, "[]"...)
	case '"':
		return append(dst, `"****"`...)
	case 't', 'f':
		return append(dst, "false"...)
	case 'n':
		return append(dst, "null"...)
	}
	return append(dst, '0')
}

// fitBpchar pads or cuts a masked bpchar value to the original's n
// characters, as bpchar(n) requires. A token, hash or fake too long for
// the column becomes base32 of its MAC, so that cutting it keeps it
// distinct ("sha256:…" cut to 6 would be the same for every value).
func fitBpchar(w *worker, out []byte, n int, s Strategy) []byte {
	if utf8.RuneCount(out) > n && s != Redact && s != Partial {
		out = appendBase32(out[:0], w.mac[:10])
	}
	out = truncateRunes(out, n)
	for k := utf8.RuneCount(out); k < n; k++ {
		out = append(out, ' ')
	}
	return out
}

func truncateRunes(b []byte, n int) []byte {
	for i := range string(b) {
		if n == 0 {
			return b[:i]
		}
		n--
	}
	return b
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// partialString keeps the recognisable part of v for its class; see
// Partial.
func partialString(dst, v []byte, class detect.Class) []byte {
	switch class {
	case detect.Email:
		at := bytes.LastIndexByte(v, '@')
		if at < 0 || at == len(v)-1 {
			return append(dst, redacted...)
		}
		return appendKept(append(dst, "****@"...), v[at+1:])
	case detect.PersonName:
		return initials(dst, v)
	case detect.Secret:
		// No part of a secret is safe to show: a prefix names the issuer,
		// a suffix narrows a search.
		return append(dst, redacted...)
	case detect.Address:
		// The last component, usually the town or country.
		if c := bytes.LastIndexByte(v, ','); c >= 0 {
			return appendKept(append(dst, redacted...), v[c:])
		}
		return append(dst, redacted...)
	case detect.DateOfBirth:
		return keepYear(dst, v)
	case detect.IPAddress:
		return keepNetwork(dst, v)
	}
	return keepLast(dst, v, 4)
}

// safe reports whether a kept character of the original may appear in a
// masked value (see maskString). Others are replaced by '*'.
func safe(r rune) bool {
	switch r {
	case ' ', '.', '-', '_', '@', '+', ':', ',', '/', '(', ')', '\'', '#':
		return true
	}
	return isAlnum(r)
}

func appendKept(dst, v []byte) []byte {
	for len(v) > 0 {
		r, n := utf8.DecodeRune(v)
		if safe(r) {
			dst = append(dst, v[:n]...)
		} else {
			dst = append(dst, '*')
		}
		v = v[n:]
	}
	return dst
}

func isAlnum(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// keepLast keeps the last k letters and digits (fewer if that would be
// half of them or more) and the punctuation that shows the format; the
// other letters and digits become '*'.
func keepLast(dst, v []byte, k int) []byte {
	if isASCII(v) {
		return keepLastASCII(dst, v, k)
	}
	n := 0
	for _, r := range string(v) {
		if isAlnum(r) {
			n++
		}
	}
	k = min(k, n/2)
	if n == 0 {
		return append(dst, redacted...)
	}
	i := 0
	for len(v) > 0 {
		r, size := utf8.DecodeRune(v)
		switch {
		case isAlnum(r):
			if i >= n-k {
				dst = append(dst, v[:size]...)
			} else {
				dst = append(dst, '*')
			}
			i++
		case safe(r):
			dst = append(dst, v[:size]...)
		default:
			dst = append(dst, '*')
		}
		v = v[size:]
	}
	return dst
}

// keepLastASCII is keepLast for ASCII text, byte by byte (the common case:
// card numbers, phone numbers, ids).
func keepLastASCII(dst, v []byte, k int) []byte {
	n := 0
	for _, c := range v {
		if asciiClass[c] == asciiAlnum {
			n++
		}
	}
	k = min(k, n/2)
	if n == 0 {
		return append(dst, redacted...)
	}
	i := 0
	for _, c := range v {
		switch asciiClass[c] {
		case asciiAlnum:
			if i < n-k {
				c = '*'
			}
			i++
		case asciiOther:
			c = '*'
		}
		dst = append(dst, c)
	}
	return dst
}

// asciiClass sorts ASCII bytes as keepLast does: letters and digits,
// punctuation kept to show the format (safe), anything else.
var asciiClass = func() (t [256]byte) {
	for c := range 128 {
		switch {
		case isAlnum(rune(c)):
			t[c] = asciiAlnum
		case safe(rune(c)):
			t[c] = asciiSafe
		default:
			t[c] = asciiOther
		}
	}
	return t
}()

const (
	asciiOther = iota
	asciiAlnum
	asciiSafe
)

func isASCII(v []byte) bool {
	for _, c := range v {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// initials keeps the first letter of each word: "John Smith" → "J*** S***".
func initials(dst, v []byte) []byte {
	words := 0
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRune(v[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		if words > 0 {
			dst = append(dst, ' ')
		}
		words++
		if isAlnum(r) {
			dst = append(dst, v[i:i+n]...)
		} else {
			dst = append(dst, '*')
		}
		dst = append(dst, "***"...)
		for i < len(v) {
			r, n := utf8.DecodeRune(v[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += n
		}
	}
	if words == 0 {
		return append(dst, redacted...)
	}
	return dst
}

// keepYear keeps the first run of exactly four digits (the year) of a
// date written in any style; every other letter and digit becomes '*'.
func keepYear(dst, v []byte) []byte {
	from, to := -1, -1
	for i := 0; i < len(v); {
		j := i
		for j < len(v) && isDigit(v[j]) {
			j++
		}
		if j-i == 4 {
			from, to = i, j
			break
		}
		i = j + 1
	}
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRune(v[i:])
		switch {
		case i >= from && i < to:
			dst = append(dst, v[i])
		case isAlnum(r) || !safe(r):
			dst = append(dst, '*')
		default:
			dst = append(dst, v[i:i+n]...)
		}
		i += n
	}
	if len(v) == 0 {
		return append(dst, redacted...)
	}
	return dst
}

// keepNetwork keeps the first three parts of an address: 192.168.1.* or
// 2001:db8:85a3:*.
func keepNetwork(dst, v []byte) []byte {
	sep, parts := byte('.'), 3
	if bytes.IndexByte(v, ':') >= 0 {
		sep = ':'
	}
	for i, c := range v {
		if c == sep {
			if parts--; parts == 0 {
				return append(appendKept(dst, v[:i+1]), '*')
			}
		}
	}
	return append(dst, redacted...)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
