package mask

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"

	"github.com/dbward/dbward/internal/mask/detect"
)

// This file reads and writes the text wire format: what PostgreSQL's
// type output functions (boolout, int4out, numeric_out, date_out under
// DateStyle ISO, interval_out under IntervalStyle postgres, array_out…)
// print. Decoding accepts what the server prints, and a little more where
// it costs nothing; encoding prints what the server would.

// decodeText decodes v, a text-format value of type ty, into d.
func decodeText(w *worker, d *datum, ty pgType, v []byte) error {
	bad := func(reason string) error { return invalid(ty, 0, reason) }
	switch ty.fam {
	case famChar:
		// charout prints "" for \0 and \ooo for bytes with the high bit set.
		switch {
		case len(v) <= 1:
		case len(v) == 4 && v[0] == '\\' && isOctal(v[1]) && isOctal(v[2]) && isOctal(v[3]) && v[1] <= '3':
			w.raw = append(w.raw[:0], (v[1]-'0')<<6|(v[2]-'0')<<3|(v[3]-'0'))
			v = w.raw
		default:
			return bad("more than one byte")
		}
		d.s = v
	case famText, famBpchar, famName, famJSON, famJSONB, famXML:
		d.s = v
	case famBool:
		switch string(v) {
		case "t", "true":
			d.i = 1
		case "f", "false":
			d.i = 0
		default:
			return bad("not t or f")
		}
	case famBytea:
		raw, ok := unescapeBytea(w.raw[:0], v)
		w.raw = raw
		if !ok {
			return bad("neither hex nor escape format")
		}
		d.s = raw
	case famInt:
		i, ok := parseInt(v, ty)
		if !ok {
			return bad("not an integer of the type's range")
		}
		d.i = i
	case famFloat:
		f, err := strconv.ParseFloat(string(v), int(ty.size)*8)
		if err != nil {
			return bad("not a number")
		}
		d.f = f
	case famNumeric:
		if !decodeNumericText(w, d, v) {
			return bad("not a number")
		}
	case famDate:
		days, _, _, ok := parseDateTime(v, false, false)
		if !ok || (days < minDay || days >= endDateDay) && days != math.MaxInt32 && days != math.MinInt32 {
			return bad("not an ISO date in range")
		}
		d.i = days
	case famTimestamp, famTimestamptz:
		days, usec, off, ok := parseDateTime(v, true, ty.fam == famTimestamptz)
		if !ok {
			return bad("not an ISO timestamp")
		}
		switch days {
		case math.MaxInt32:
			d.i = math.MaxInt64
		case math.MinInt32:
			d.i = math.MinInt64
		default:
			d.i = days*usecPerDay + usec - int64(off)*usecPerSec
			if d.i < minDay*usecPerDay || d.i >= endTimestampDay*usecPerDay {
				return bad("timestamp out of range")
			}
		}
	case famTime:
		usec, n, ok := parseTime(v, 0, true)
		if !ok || n != len(v) {
			return bad("not a time of day")
		}
		d.i = usec
	case famInterval:
		if !parseInterval(d, v) {
			return bad("not an interval in IntervalStyle postgres")
		}
	case famUUID:
		if !parseUUID(&d.b, v) {
			return bad("not a uuid")
		}
	case famInet:
		if !parseInet(d, v, ty.cidr) {
			return bad("not an address")
		}
	case famMacaddr:
		if !parseMacaddr(&d.b, v, int(ty.size)) {
			return bad("not a MAC address")
		}
	default:
		return bad("unsupported type")
	}
	return nil
}

// encodeText appends d, a value of type ty, in text format.
func encodeText(dst []byte, d *datum, ty pgType) []byte {
	switch ty.fam {
	case famBool:
		if d.i != 0 {
			return append(dst, 't')
		}
		return append(dst, 'f')
	case famBytea:
		dst = append(dst, `\x`...)
		for _, c := range d.s {
			dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
		}
		return dst
	case famInt:
		if ty.signed {
			return strconv.AppendInt(dst, d.i, 10)
		}
		return strconv.AppendUint(dst, uint64(d.i), 10)
	case famFloat:
		return strconv.AppendFloat(dst, d.f, 'f', -1, int(ty.size)*8)
	case famNumeric:
		return appendNumericText(dst, d)
	case famDate:
		return appendDate(dst, d.i)
	case famTimestamp, famTimestamptz:
		return appendTimestamp(dst, d.i, ty.fam == famTimestamptz)
	case famTime:
		return appendClock(dst, d.i)
	case famInterval:
		return appendInterval(dst, d)
	case famUUID:
		return appendUUID(dst, &d.b)
	case famInet:
		return appendInet(dst, d)
	case famMacaddr:
		for i := range int(ty.size) {
			if i > 0 {
				dst = append(dst, ':')
			}
			dst = append(dst, hexDigits[d.b[i]>>4], hexDigits[d.b[i]&15])
		}
		return dst
	}
	return append(dst, d.s...) // character data: masked output is ASCII-safe
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescapeBytea decodes byteaout's hex format (\x...) or, under
// bytea_output = escape, its escape format.
func unescapeBytea(dst, v []byte) ([]byte, bool) {
	if len(v) >= 2 && v[0] == '\\' && v[1] == 'x' {
		v = v[2:]
		if len(v)%2 != 0 {
			return dst, false
		}
		for i := 0; i < len(v); i += 2 {
			hi, ok1 := unhex(v[i])
			lo, ok2 := unhex(v[i+1])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, hi<<4|lo)
		}
		return dst, true
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			dst = append(dst, v[i])
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '\\':
			dst = append(dst, '\\')
			i++
		case i+3 < len(v) && v[i+1] <= '3' && isOctal(v[i+1]) && isOctal(v[i+2]) && isOctal(v[i+3]):
			dst = append(dst, (v[i+1]-'0')<<6|(v[i+2]-'0')<<3|(v[i+3]-'0'))
			i += 3
		default:
			return dst, false
		}
	}
	return dst, true
}

// parseInt reads int2out/int4out/int8out/oidout: an optional '-' (not for
// oid) and digits, within the type's range.
func parseInt(v []byte, ty pgType) (int64, bool) {
	neg := false
	if len(v) > 0 && v[0] == '-' && ty.signed {
		neg, v = true, v[1:]
	}
	if len(v) == 0 || len(v) > 20 {
		return 0, false
	}
	var u uint64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	limit := ty.max()
	if neg {
		limit++ // the negative range is one larger
	}
	if u > limit {
		return 0, false
	}
	if neg {
		return -int64(u-1) - 1, true
	}
	return int64(u), true
}

// decodeNumericText reads numeric_out: [-]digits[.digits], NaN, Infinity
// or -Infinity.
func decodeNumericText(w *worker, d *datum, v []byte) bool {
	switch string(v) {
	case "NaN":
		d.inf = numNaN
		return true
	case "Infinity":
		d.inf = 1
		return true
	case "-Infinity":
		d.inf = -1
		return true
	}
	neg := false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg, v = v[0] == '-', v[1:]
	}
	i := 0
	for i < len(v) && isDigit(v[i]) {
		i++
	}
	ints := i
	digits := append(w.raw[:0], v[:i]...)
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && isDigit(v[i]) {
			digits = append(digits, v[i])
			i++
		}
		d.dscale = int32(min(i-ints-1, numericMaxDscale))
	}
	w.raw = digits
	if i != len(v) || len(digits) == 0 || len(digits) > numericMaxDigits {
		return false
	}
	d.setDecimal(digits, ints, neg)
	return true
}

// PostgreSQL's numeric limits: NUMERIC_DSCALE_MASK, and 131072 digits
// before the point plus 16383 after.
const (
	numericMaxDscale = 0x3fff
	numericMaxDigits = 131072 + 16383
)

// appendNumericText prints a numeric as numeric_out does: plain digits,
// dscale digits after the point.
func appendNumericText(dst []byte, d *datum) []byte {
	switch {
	case d.inf == numNaN:
		return append(dst, "NaN"...)
	case d.inf > 0:
		return append(dst, "Infinity"...)
	case d.inf < 0:
		return append(dst, "-Infinity"...)
	}
	if d.neg {
		dst = append(dst, '-')
	}
	exp := int(d.exp)
	if exp <= 0 {
		dst = append(dst, '0')
	} else {
		for i := range exp {
			if i < len(d.s) {
				dst = append(dst, d.s[i])
			} else {
				dst = append(dst, '0')
			}
		}
	}
	if d.dscale > 0 {
		dst = append(dst, '.')
		for j := range int(d.dscale) {
			k := exp + j
			if k >= 0 && k < len(d.s) {
				dst = append(dst, d.s[k])
			} else {
				dst = append(dst, '0')
			}
		}
	}
	return dst
}

// Time units, in microseconds (PostgreSQL's TimeOffset).
const (
	usecPerSec  = 1_000_000
	usecPerHour = 3600 * usecPerSec
	usecPerDay  = 24 * usecPerHour
)

// PostgreSQL's ranges (datatype/timestamp.h), which pgtype enforces too:
// dates and timestamps start on 4714-11-24 BC; dates end before
// 5874898-01-01, timestamps before 294277-01-01.
var (
	minDay          = daysFromCivil(-4713, 11, 24)
	endDateDay      = daysFromCivil(5874898, 1, 1)
	endTimestampDay = daysFromCivil(294277, 1, 1)
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysFromCivil returns the day number, from 2000-01-01, of a proleptic
// Gregorian date with astronomical year y (1 BC is 0), as PostgreSQL's
// date2j does. (Howard Hinnant's days_from_civil.)
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 - 10957
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468 + 10957
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDateTime reads date_out, timestamp_out and timestamptz_out under
// DateStyle ISO:
//
//	YYYY-MM-DD [HH:MM:SS[.ffffff][±HH[:MM[:SS]]]] [ BC]
//
// or infinity and -infinity (days are then math.MaxInt32 or MinInt32).
// off is the offset east of UTC in seconds.
func parseDateTime(v []byte, withTime, withOffset bool) (days, usec int64, off int, ok bool) {
	switch string(v) {
	case "infinity":
		return math.MaxInt32, 0, 0, true
	case "-infinity":
		return math.MinInt32, 0, 0, true
	}
	bc := bytes.HasSuffix(v, []byte(" BC"))
	if bc {
		v = v[:len(v)-3]
	}
	i := 0
	var y int64
	for i < len(v) && isDigit(v[i]) && i < 7 {
		y = y*10 + int64(v[i]-'0')
		i++
	}
	if i < 4 || y == 0 || i+6 > len(v) || v[i] != '-' || v[i+3] != '-' {
		return 0, 0, 0, false
	}
	m, ok1 := twoDigits(v[i+1:])
	d, ok2 := twoDigits(v[i+4:])
	i += 6
	if bc {
		y = 1 - y
	}
	if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	days = daysFromCivil(y, m, d)
	if withTime {
		if i >= len(v) || v[i] != ' ' {
			return 0, 0, 0, false
		}
		usec, i, ok = parseTime(v, i+1, false)
		if !ok {
			return 0, 0, 0, false
		}
		if withOffset {
			off, i, ok = parseOffset(v, i)
			if !ok {
				return 0, 0, 0, false
			}
		}
	}
	if i != len(v) {
		return 0, 0, 0, false
	}
	return days, usec, off, true
}

func twoDigits(v []byte) (int64, bool) {
	if len(v) < 2 || !isDigit(v[0]) || !isDigit(v[1]) {
		return 0, false
	}
	return int64(v[0]-'0')*10 + int64(v[1]-'0'), true
}

// parseTime reads HH:MM:SS[.ffffff] at v[i:]; allow24 admits time's
// 24:00:00.
func parseTime(v []byte, i int, allow24 bool) (usec int64, next int, ok bool) {
	if i+8 > len(v) || v[i+2] != ':' || v[i+5] != ':' {
		return 0, i, false
	}
	h, ok1 := twoDigits(v[i:])
	m, ok2 := twoDigits(v[i+3:])
	s, ok3 := twoDigits(v[i+6:])
	if !ok1 || !ok2 || !ok3 || m > 59 || s > 59 || h > 24 || (h == 24 && (!allow24 || m != 0 || s != 0)) {
		return 0, i, false
	}
	usec = (h*3600 + m*60 + s) * usecPerSec
	i += 8
	if i < len(v) && v[i] == '.' {
		i++
		scale := int64(100_000)
		start := i
		for i < len(v) && isDigit(v[i]) && i-start < 6 {
			usec += int64(v[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, i, false
		}
		if h == 24 && usec != 24*usecPerHour {
			return 0, i, false
		}
	}
	return usec, i, true
}

// parseOffset reads a UTC offset ±HH[:MM[:SS]] (or Z) at v[i:].
func parseOffset(v []byte, i int) (off, next int, ok bool) {
	if i < len(v) && v[i] == 'Z' {
		return 0, i + 1, true // not printed by the server, but by pgx's encoder
	}
	if i >= len(v) || (v[i] != '+' && v[i] != '-') {
		return 0, i, false
	}
	sign := 1
	if v[i] == '-' {
		sign = -1
	}
	i++
	h, ok := twoDigits(v[i:])
	if !ok {
		return 0, i, false
	}
	i += 2
	secs := h * 3600
	for _, unit := range [...]int64{60, 1} {
		if i < len(v) && v[i] == ':' {
			n, ok := twoDigits(v[i+1:])
			if !ok || n > 59 {
				return 0, i, false
			}
			secs += n * unit
			i += 3
		}
	}
	return sign * int(secs), i, true
}

// appendDate prints a day number as date_out does in DateStyle ISO.
func appendDate(dst []byte, days int64) []byte {
	switch days {
	case math.MaxInt32:
		return append(dst, "infinity"...)
	case math.MinInt32:
		return append(dst, "-infinity"...)
	}
	y, m, d := civilFromDays(days)
	dst = appendYMD(dst, y, m, d)
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

func appendYMD(dst []byte, y, m, d int64) []byte {
	if y <= 0 {
		y = 1 - y
	}
	for p := int64(1000); p > 1 && y < p; p /= 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendInt(dst, y, 10)
	dst = append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return dst
}

// appendTimestamp prints µs since 2000-01-01 as timestamp_out does, or
// as timestamptz_out does for a session in UTC.
func appendTimestamp(dst []byte, usec int64, tz bool) []byte {
	switch usec {
	case math.MaxInt64:
		return append(dst, "infinity"...)
	case math.MinInt64:
		return append(dst, "-infinity"...)
	}
	days := floorDiv(usec, usecPerDay)
	y, m, d := civilFromDays(days)
	dst = append(appendYMD(dst, y, m, d), ' ')
	dst = appendClock(dst, usec-days*usecPerDay)
	if tz {
		dst = append(dst, "+00"...)
	}
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendClock prints HH:MM:SS[.ffffff] without trailing zeros.
func appendClock(dst []byte, usec int64) []byte {
	secs, frac := usec/usecPerSec, usec%usecPerSec
	h, m, s := secs/3600, secs/60%60, secs%60
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		dst = append(dst, '.')
		for p := int64(100_000); frac != 0; p /= 10 {
			dst = append(dst, byte('0'+frac/p))
			frac %= p
		}
	}
	return dst
}

// parseInterval reads interval_out in IntervalStyle postgres:
// "[N year[s]] [N mon[s]] [N day[s]] [[+-]H+:MM:SS[.ffffff]]", e.g.
// "1 year 2 mons -3 days +04:05:06.5" or "00:00:00", and infinity.
func parseInterval(d *datum, v []byte) bool {
	switch string(v) { // PostgreSQL 17's infinite intervals
	case "infinity":
		d.months, d.days, d.i = math.MaxInt32, math.MaxInt32, math.MaxInt64
		return true
	case "-infinity":
		d.months, d.days, d.i = math.MinInt32, math.MinInt32, math.MinInt64
		return true
	}
	var months, days int64
	for len(v) > 0 {
		word := v
		if sp := bytes.IndexByte(v, ' '); sp >= 0 {
			word, v = v[:sp], v[sp+1:]
		} else {
			v = nil
		}
		if bytes.IndexByte(word, ':') >= 0 {
			if len(v) != 0 {
				return false
			}
			neg := false
			if word[0] == '-' || word[0] == '+' {
				neg, word = word[0] == '-', word[1:]
			}
			c := bytes.IndexByte(word, ':')
			if c < 1 || c > 10 {
				return false
			}
			var h int64
			for _, ch := range word[:c] {
				if !isDigit(ch) {
					return false
				}
				h = h*10 + int64(ch-'0')
			}
			// Reuse parseTime for MM:SS by giving it a zero hour.
			var buf [20]byte
			rest := append(append(buf[:0], "00"...), word[c:]...)
			usec, n, ok := parseTime(rest, 0, false)
			if !ok || n != len(rest) || h > (math.MaxInt64-usec)/usecPerHour {
				return false
			}
			usec += h * usecPerHour
			if neg {
				usec = -usec
			}
			d.i = usec
			continue
		}
		n, ok := parseSmallInt(word)
		sp := bytes.IndexByte(v, ' ')
		unit := v
		if sp >= 0 {
			unit, v = v[:sp], v[sp+1:]
		} else {
			v = nil
		}
		if !ok {
			return false
		}
		switch string(unit) {
		case "year", "years":
			months += n * 12
		case "mon", "mons":
			months += n
		case "day", "days":
			days += n
		default:
			return false
		}
		if months < math.MinInt32 || months > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 {
			return false
		}
	}
	d.months, d.days = int32(months), int32(days)
	return true
}

// parseSmallInt reads [+-]digits within ±2^40.
func parseSmallInt(v []byte) (int64, bool) {
	neg := false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg, v = v[0] == '-', v[1:]
	}
	if len(v) == 0 || len(v) > 12 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// appendInterval prints an interval as interval_out does in IntervalStyle
// postgres, for the non-negative values masking produces.
func appendInterval(dst []byte, d *datum) []byte {
	start := len(dst)
	if d.months != 0 {
		y, m := d.months/12, d.months%12
		if y != 0 {
			dst = appendUnit(dst, start, int64(y), "year")
		}
		if m != 0 {
			dst = appendUnit(dst, start, int64(m), "mon")
		}
	}
	if d.days != 0 {
		dst = appendUnit(dst, start, int64(d.days), "day")
	}
	if d.i != 0 || (d.months == 0 && d.days == 0) {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		u := d.i
		if u < 0 {
			dst = append(dst, '-')
			u = -u
		}
		h := u / usecPerHour
		if h < 10 {
			dst = append(dst, '0')
		}
		dst = strconv.AppendInt(dst, h, 10)
		var clock [16]byte
		dst = append(dst, appendClock(clock[:0], u%usecPerHour)[2:]...) // ":MM:SS[.ffffff]"
	}
	return dst
}

func appendUnit(dst []byte, start int, n int64, unit string) []byte {
	if len(dst) > start {
		dst = append(dst, ' ')
	}
	dst = strconv.AppendInt(dst, n, 10)
	dst = append(append(dst, ' '), unit...)
	if n != 1 && n != -1 {
		dst = append(dst, 's')
	}
	return dst
}

func parseUUID(b *[16]byte, v []byte) bool {
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return false
	}
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		hi, ok1 := unhex(v[i])
		lo, ok2 := unhex(v[i+1])
		if !ok1 || !ok2 {
			return false
		}
		b[j] = hi<<4 | lo
		j++
		i++
	}
	return true
}

func appendUUID(dst []byte, b *[16]byte) []byte {
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// parseInet reads inet_out and cidr_out: an IPv4 or IPv6 address and an
// optional /bits (cidr always has one; its host bits must be zero).
func parseInet(d *datum, v []byte, cidr bool) bool {
	addr := v
	bits := -1
	if sl := bytes.IndexByte(v, '/'); sl >= 0 {
		addr = v[:sl]
		n, ok := parseSmallInt(v[sl+1:])
		if !ok || n < 0 || v[sl+1] == '-' || v[sl+1] == '+' {
			return false
		}
		bits = int(n)
	}
	d.cidr = cidr
	if ip, ok := parseIPv4(addr); ok {
		copy(d.b[:], ip[:])
		d.v6 = false
		if bits < 0 {
			bits = 32
		}
		if bits > 32 {
			return false
		}
	} else if ip, ok := parseIPv6(addr); ok {
		d.b = ip
		d.v6 = true
		if bits < 0 {
			bits = 128
		}
		if bits > 128 {
			return false
		}
	} else {
		return false
	}
	d.bits = uint8(bits)
	if cidr {
		b := d.b
		d.mask()
		if b != d.b {
			return false
		}
	}
	return true
}

func parseIPv4(v []byte) (ip [4]byte, ok bool) {
	for k := range 4 {
		if k > 0 {
			if len(v) == 0 || v[0] != '.' {
				return ip, false
			}
			v = v[1:]
		}
		n, i := 0, 0
		for i < len(v) && isDigit(v[i]) && i < 3 {
			n = n*10 + int(v[i]-'0')
			i++
		}
		if i == 0 || n > 255 || (i > 1 && v[0] == '0') {
			return ip, false
		}
		ip[k] = byte(n)
		v = v[i:]
	}
	return ip, len(v) == 0
}

// parseIPv6 reads an IPv6 address (RFC 4291 §2.2: hex groups, one "::",
// an optional trailing dotted IPv4), without zones.
func parseIPv6(v []byte) (ip [16]byte, ok bool) {
	ellipsis := -1 // index in ip where "::" is
	i := 0
	if len(v) >= 2 && v[0] == ':' && v[1] == ':' {
		ellipsis = 0
		v = v[2:]
		if len(v) == 0 {
			return ip, true
		}
	}
	for i < 16 {
		// A group, or the dotted IPv4 tail.
		n, off := 0, 0
		for off < len(v) && off < 4 {
			h, ok := unhex(v[off])
			if !ok {
				break
			}
			n = n<<4 | int(h)
			off++
		}
		if off < len(v) && v[off] == '.' {
			if ellipsis < 0 && i != 12 || i > 12 {
				return ip, false
			}
			ip4, ok := parseIPv4(v)
			if !ok {
				return ip, false
			}
			copy(ip[i:], ip4[:])
			i += 4
			v = nil
			break
		}
		if off == 0 {
			return ip, false
		}
		ip[i], ip[i+1] = byte(n>>8), byte(n)
		i += 2
		v = v[off:]
		if len(v) == 0 {
			break
		}
		if v[0] != ':' || len(v) == 1 {
			return ip, false
		}
		v = v[1:]
		if v[0] == ':' {
			if ellipsis >= 0 {
				return ip, false
			}
			ellipsis = i
			v = v[1:]
			if len(v) == 0 {
				break
			}
		}
	}
	if len(v) != 0 {
		return ip, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return ip, false
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 && ellipsis != 16 {
		return ip, false // "::" must stand for at least one group
	}
	return ip, true
}

func appendInet(dst []byte, d *datum) []byte {
	full := 32
	if d.v6 {
		dst = netip.AddrFrom16(d.b).AppendTo(dst)
		full = 128
	} else {
		dst = netip.AddrFrom4([4]byte(d.b[:4])).AppendTo(dst)
	}
	if d.cidr || int(d.bits) != full {
		dst = strconv.AppendInt(append(dst, '/'), int64(d.bits), 10)
	}
	return dst
}

// parseMacaddr reads macaddr_out/macaddr8_out: n hex pairs joined by ':'.
func parseMacaddr(b *[16]byte, v []byte, n int) bool {
	if len(v) != 3*n-1 {
		return false
	}
	for i := range n {
		if i > 0 && v[3*i-1] != ':' && v[3*i-1] != '-' {
			return false
		}
		hi, ok1 := unhex(v[3*i])
		lo, ok2 := unhex(v[3*i+1])
		if !ok1 || !ok2 {
			return false
		}
		b[i] = hi<<4 | lo
	}
	return true
}

// textArray masks a text-format array (array_out): "{a,b}", "{{1,2},{3,4}}",
// with quoted elements where needed and an optional dimension decoration
// "[0:1]={a,b}" when a lower bound is not 1. NULL elements stay NULL.
// The structure is checked as array_in would (rectangular, at most 6
// dimensions, no whitespace outside quotes, which array_out never prints).
func (t *Transformer) textArray(w *worker, dst, v []byte, ety pgType, class detect.Class, s Strategy) ([]byte, bool, error) {
	start := len(dst)
	fail := func(reason string) ([]byte, bool, error) {
		return dst[:start], false, invalid(pgType{name: ety.name + "[]"}, 0, reason)
	}
	var declared [maxDim + 1]int64 // sizes from the decoration, by depth
	ndecl := 0
	i := 0
	if len(v) > 0 && v[0] == '[' {
		for i < len(v) && v[i] == '[' {
			c := bytes.IndexByte(v[i:], ']')
			if c < 0 || ndecl == maxDim {
				return fail("bad dimensions")
			}
			lb, ub, ok := parseBounds(v[i+1 : i+c])
			if !ok {
				return fail("bad dimensions")
			}
			ndecl++
			declared[ndecl] = ub - lb + 1
			i += c + 1
		}
		if i >= len(v) || v[i] != '=' {
			return fail("bad dimensions")
		}
		i++
		dst = append(dst, v[:i]...)
	}
	const (
		afterOpen = iota
		afterComma
		afterValue
	)
	var size, count [maxDim + 1]int64 // per depth: size of the first sub-array, elements seen in the current one
	depth, leaf, prev := 0, 0, afterComma
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '{':
			if prev == afterValue || depth == maxDim || (leaf != 0 && depth >= leaf) {
				return fail("misplaced {")
			}
			count[depth]++
			depth++
			count[depth] = 0
			dst = append(dst, c)
			prev = afterOpen
		case c == '}':
			if depth == 0 || prev == afterComma {
				return fail("misplaced }")
			}
			if prev == afterOpen && depth > 1 {
				return fail("empty sub-array")
			}
			if prev == afterOpen && depth == 1 {
				leaf = -1 // "{}": an empty array has no dimensions
			}
			if size[depth] == 0 {
				size[depth] = count[depth]
			} else if size[depth] != count[depth] {
				return fail("not rectangular")
			}
			depth--
			dst = append(dst, c)
			prev = afterValue
		case c == ',':
			if prev != afterValue || depth == 0 {
				return fail("misplaced ,")
			}
			dst = append(dst, c)
			prev = afterComma
		default:
			if prev == afterValue || depth == 0 || (leaf != 0 && depth != leaf) {
				return fail("misplaced element")
			}
			leaf = depth
			count[depth]++
			prev = afterValue
			var elem []byte
			isNull := false
			if c == '"' {
				elem = w.elem[:0]
				j := i + 1
				for ; j < len(v) && v[j] != '"'; j++ {
					if v[j] == '\\' {
						j++
						if j == len(v) {
							break
						}
					}
					elem = append(elem, v[j])
				}
				if j >= len(v) {
					return fail("unterminated quote")
				}
				w.elem = elem
				i = j
			} else {
				j := i
				for j < len(v) && v[j] != ',' && v[j] != '}' {
					switch v[j] {
					case '{', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
						return fail("bad unquoted element")
					}
					j++
				}
				elem = v[i:j]
				i = j - 1
				isNull = len(elem) == 4 && bytes.EqualFold(elem, []byte("NULL"))
			}
			if isNull {
				dst = append(dst, "NULL"...)
				continue
			}
			out, null, err := t.scalar(w, w.elemOut[:0], elem, ety, 0, class, s)
			w.elemOut = out
			if err != nil {
				return dst[:start], false, err
			}
			if null {
				dst = append(dst, "NULL"...)
				continue
			}
			dst = appendArrayElem(dst, out)
		}
		if depth == 0 {
			i++
			break
		}
	}
	if depth != 0 || i != len(v) || len(dst) == start {
		return fail("unbalanced braces")
	}
	if ndecl > 0 {
		if leaf != ndecl {
			return fail("dimensions do not match")
		}
		for k := 1; k <= ndecl; k++ {
			if declared[k] != size[k] {
				return fail("dimensions do not match")
			}
		}
	}
	return dst, false, nil
}

// maxDim is MAXDIM, the most dimensions an array may have.
const maxDim = 6

func parseBounds(v []byte) (lb, ub int64, ok bool) {
	c := bytes.IndexByte(v, ':')
	if c < 0 {
		return 0, 0, false
	}
	lb, ok1 := parseSmallInt(v[:c])
	ub, ok2 := parseSmallInt(v[c+1:])
	if !ok1 || !ok2 || ub < lb || lb < math.MinInt32 || ub > math.MaxInt32 {
		return 0, 0, false
	}
	return lb, ub, true
}

// appendArrayElem writes an element as array_out does: in double quotes,
// with " and \ escaped, when it is empty, NULL, or holds a delimiter,
// brace, quote, backslash or white space.
func appendArrayElem(dst, e []byte) []byte {
	quote := len(e) == 0 || (len(e) == 4 && bytes.EqualFold(e, []byte("NULL")))
	for _, c := range e {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(dst, e...)
	}
	dst = append(dst, '"')
	for _, c := range e {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
