package mask

import (
	"encoding/binary"
	"math"

	"github.com/dbward/dbward/internal/mask/detect"
)

// This file reads and writes the binary wire format: what PostgreSQL's
// type send functions (int4send, numeric_send, timestamp_send,
// inet_send, array_send…) write, all integers big-endian.

var be = binary.BigEndian

// decodeBinary decodes v, a binary-format value of type ty, into d.
func decodeBinary(w *worker, d *datum, ty pgType, v []byte) error {
	bad := func(reason string) error { return invalid(ty, 1, reason) }
	size := func(n int) error {
		if len(v) != n {
			return bad("wrong length")
		}
		return nil
	}
	switch ty.fam {
	case famText, famBpchar, famName, famJSON, famXML:
		d.s = v
	case famJSONB:
		// jsonb_send: a version byte, 1, then the text form.
		if len(v) == 0 || v[0] != 1 {
			return bad("not jsonb version 1")
		}
		d.s = v[1:]
	case famChar:
		if err := size(1); err != nil {
			return err
		}
		d.s = v
	case famBool:
		if err := size(1); err != nil {
			return err
		}
		d.i = int64(b2u8(v[0] != 0)) // boolrecv: any non-zero byte is true
	case famBytea:
		d.s = v
	case famInt:
		if err := size(int(ty.size)); err != nil {
			return err
		}
		switch {
		case ty.size == 2:
			d.i = int64(int16(be.Uint16(v)))
		case ty.size == 8:
			d.i = int64(be.Uint64(v))
		case ty.signed:
			d.i = int64(int32(be.Uint32(v)))
		default:
			d.i = int64(be.Uint32(v))
		}
	case famFloat:
		if err := size(int(ty.size)); err != nil {
			return err
		}
		if ty.size == 4 {
			d.f = float64(math.Float32frombits(be.Uint32(v)))
		} else {
			d.f = math.Float64frombits(be.Uint64(v))
		}
	case famNumeric:
		if reason := decodeNumericBinary(w, d, v); reason != "" {
			return bad(reason)
		}
	case famDate:
		if err := size(4); err != nil {
			return err
		}
		d.i = int64(int32(be.Uint32(v)))
		if (d.i < minDay || d.i >= endDateDay) && d.i != math.MaxInt32 && d.i != math.MinInt32 {
			return bad("date out of range") // date_recv refuses it too
		}
	case famTime, famTimestamp, famTimestamptz:
		if err := size(8); err != nil {
			return err
		}
		d.i = int64(be.Uint64(v))
		switch {
		case ty.fam == famTime:
			if d.i < 0 || d.i > usecPerDay {
				return bad("time of day out of range")
			}
		case d.i == math.MaxInt64 || d.i == math.MinInt64:
		case d.i < minDay*usecPerDay || d.i >= endTimestampDay*usecPerDay:
			return bad("timestamp out of range") // timestamp_recv refuses it too
		}
	case famInterval:
		// interval_send: µs (int64), days (int32), months (int32).
		if err := size(16); err != nil {
			return err
		}
		d.i = int64(be.Uint64(v))
		d.days = int32(be.Uint32(v[8:]))
		d.months = int32(be.Uint32(v[12:]))
	case famUUID:
		if err := size(16); err != nil {
			return err
		}
		copy(d.b[:], v)
	case famInet:
		// inet_send: family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), bits,
		// is_cidr, address length, address.
		if len(v) < 4 {
			return bad("short")
		}
		n := 4
		switch {
		case v[0] == 2 && v[3] == 4:
		case v[0] == 3 && v[3] == 16:
			n, d.v6 = 16, true
		default:
			return bad("unknown address family")
		}
		if len(v) != 4+n || int(v[1]) > 8*n || v[2] > 1 {
			return bad("bad address")
		}
		d.bits, d.cidr = v[1], ty.cidr
		copy(d.b[:], v[4:])
		if d.cidr {
			b := d.b
			d.mask()
			if b != d.b {
				return bad("cidr with host bits set")
			}
		}
	case famMacaddr:
		if err := size(int(ty.size)); err != nil {
			return err
		}
		copy(d.b[:], v)
	default:
		return bad("unsupported type")
	}
	return nil
}

// encodeBinary appends d, a value of type ty, in binary format.
func encodeBinary(dst []byte, d *datum, ty pgType) []byte {
	switch ty.fam {
	case famJSONB:
		return append(append(dst, 1), d.s...)
	case famBool:
		return append(dst, byte(d.i))
	case famInt:
		switch ty.size {
		case 2:
			return be.AppendUint16(dst, uint16(d.i))
		case 8:
			return be.AppendUint64(dst, uint64(d.i))
		}
		return be.AppendUint32(dst, uint32(d.i))
	case famFloat:
		if ty.size == 4 {
			return be.AppendUint32(dst, math.Float32bits(float32(d.f)))
		}
		return be.AppendUint64(dst, math.Float64bits(d.f))
	case famNumeric:
		return appendNumericBinary(dst, d)
	case famDate:
		return be.AppendUint32(dst, uint32(d.i))
	case famTime, famTimestamp, famTimestamptz:
		return be.AppendUint64(dst, uint64(d.i))
	case famInterval:
		dst = be.AppendUint64(dst, uint64(d.i))
		dst = be.AppendUint32(dst, uint32(d.days))
		return be.AppendUint32(dst, uint32(d.months))
	case famUUID:
		return append(dst, d.b[:]...)
	case famInet:
		if d.v6 {
			return append(append(dst, 3, d.bits, b2u8(d.cidr), 16), d.b[:16]...)
		}
		return append(append(dst, 2, d.bits, b2u8(d.cidr), 4), d.b[:4]...)
	case famMacaddr:
		return append(dst, d.b[:ty.size]...)
	}
	return append(dst, d.s...) // character data and bytea
}

func b2u8(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// numeric_send's sign word.
const (
	numPos  = 0x0000
	numNeg  = 0x4000
	numNaNs = 0xC000
	numPinf = 0xD000
	numNinf = 0xF000
)

// decodeNumericBinary reads numeric_send: ndigits, weight (of the first
// base-10000 digit), sign, dscale (int16 each), then ndigits base-10000
// digits. It returns why v is invalid, or "".
func decodeNumericBinary(w *worker, d *datum, v []byte) string {
	if len(v) < 8 {
		return "short"
	}
	ndigits, weight := int(int16(be.Uint16(v))), int(int16(be.Uint16(v[2:])))
	sign, dscale := be.Uint16(v[4:]), be.Uint16(v[6:])
	if ndigits < 0 || len(v) != 8+2*ndigits {
		return "wrong length"
	}
	if dscale > numericMaxDscale {
		return "bad dscale"
	}
	switch sign {
	case numPos, numNeg:
	case numNaNs:
		d.inf = numNaN
		return ""
	case numPinf:
		d.inf = 1
		return ""
	case numNinf:
		d.inf = -1
		return ""
	default:
		return "bad sign"
	}
	digits := w.raw[:0]
	for k := range ndigits {
		g := be.Uint16(v[8+2*k:])
		if g >= 10000 {
			return "digit out of range"
		}
		digits = append(digits, byte('0'+g/1000), byte('0'+g/100%10), byte('0'+g/10%10), byte('0'+g%10))
	}
	w.raw = digits
	d.dscale = int32(dscale)
	d.setDecimal(digits, (weight+1)*4, sign == numNeg)
	return ""
}

// appendNumericBinary writes numeric_send's form of d: base-10000 digits
// aligned on the decimal point, without leading or trailing zero digits.
func appendNumericBinary(dst []byte, d *datum) []byte {
	var sign uint16
	switch {
	case d.inf == numNaN:
		sign = numNaNs
	case d.inf > 0:
		sign = numPinf
	case d.inf < 0:
		sign = numNinf
	case d.neg:
		sign = numNeg
	}
	if d.inf != 0 || len(d.s) == 0 {
		dst = be.AppendUint16(dst, 0)
		dst = be.AppendUint16(dst, 0)
		dst = be.AppendUint16(dst, sign)
		return be.AppendUint16(dst, uint16(d.dscale))
	}
	// Digit i of d.s stands for 10^(exp-1-i); base-10000 digit k for
	// 10000^k. The first and last groups hold the first and last
	// (non-zero) decimal digits, so none is zero.
	exp := int64(d.exp)
	first := floorDiv(exp-1, 4)
	last := floorDiv(exp-int64(len(d.s)), 4)
	dst = be.AppendUint16(dst, uint16(first-last+1))
	dst = be.AppendUint16(dst, uint16(first))
	dst = be.AppendUint16(dst, sign)
	dst = be.AppendUint16(dst, uint16(d.dscale))
	for k := first; k >= last; k-- {
		var g uint16
		for p := 4*k + 3; p >= 4*k; p-- {
			i := exp - 1 - p
			g *= 10
			if i >= 0 && i < int64(len(d.s)) {
				g += uint16(d.s[i] - '0')
			}
		}
		dst = be.AppendUint16(dst, g)
	}
	return dst
}

// binaryArray masks a binary-format array (array_send): ndim, a has-NULL
// flag, the element type OID, (size, lower bound) per dimension, then each
// element as a length (-1 for NULL) and its binary value. Elements are
// masked one by one; the header is kept, with the flag set if an element
// became NULL.
func (t *Transformer) binaryArray(w *worker, dst, v []byte, ety pgType, class detect.Class, s Strategy) ([]byte, bool, error) {
	start := len(dst)
	fail := func(reason string) ([]byte, bool, error) {
		return dst[:start], false, invalid(pgType{name: ety.name + "[]"}, 1, reason)
	}
	if len(v) < 12 {
		return fail("short")
	}
	ndim, flags, elem := int32(be.Uint32(v)), be.Uint32(v[4:]), be.Uint32(v[8:])
	if ndim < 0 || ndim > maxDim || flags > 1 || elem != ety.oid {
		return fail("bad header")
	}
	p := 12 + 8*int(ndim)
	if len(v) < p {
		return fail("short")
	}
	count := int64(0)
	if ndim > 0 {
		count = 1
	}
	for k := range int(ndim) {
		n := int32(be.Uint32(v[12+8*k:]))
		if n < 0 {
			return fail("bad dimension")
		}
		count *= int64(n)
		if count > int64(len(v)-p)/4 {
			return fail("more elements than bytes")
		}
	}
	dst = append(dst, v[:p]...)
	hasNull := false
	for range count {
		if len(v)-p < 4 {
			return fail("short")
		}
		n := int32(be.Uint32(v[p:]))
		p += 4
		if n == -1 {
			dst = be.AppendUint32(dst, math.MaxUint32)
			hasNull = true
			continue
		}
		if n < 0 || int(n) > len(v)-p {
			return fail("bad element length")
		}
		at := len(dst)
		out, null, err := t.scalar(w, append(dst, 0, 0, 0, 0), v[p:p+int(n)], ety, 1, class, s)
		if err != nil {
			return dst[:start], false, err
		}
		dst = out
		if null {
			dst = be.AppendUint32(dst[:at], math.MaxUint32)
			hasNull = true
		} else {
			be.PutUint32(dst[at:], uint32(len(dst)-at-4))
		}
		p += int(n)
	}
	if p != len(v) {
		return fail("trailing bytes")
	}
	if hasNull {
		be.PutUint32(dst[start+4:], 1)
	}
	return dst, false, nil
}
