package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dbward/dbward/internal/mask/detect"
)

// MinKeySize is the shortest key NewTransformer accepts: 256 bits, the
// strength of HMAC-SHA256.
const MinKeySize = 32

// ErrShortKey is returned by NewTransformer for a key shorter than
// MinKeySize.
var ErrShortKey = errors.New("mask: key shorter than 32 bytes")

// ErrInvalidValue is wrapped by the errors of Value: the value is not a
// valid value of its type in its wire format. The error names the type
// and format, never the value.
var ErrInvalidValue = errors.New("mask: invalid value")

// ValueError says which type and format a value failed to decode as.
type ValueError struct {
	Type   string // PostgreSQL type name
	Format int16  // 0 text, 1 binary
	Reason string // what is wrong, without the value
}

func (e *ValueError) Error() string {
	f := "text"
	if e.Format == 1 {
		f = "binary"
	}
	return fmt.Sprintf("mask: invalid %s value in %s format: %s", e.Type, f, e.Reason)
}

func (e *ValueError) Unwrap() error { return ErrInvalidValue }

func invalid(ty pgType, format int16, reason string) error {
	return &ValueError{Type: ty.name, Format: format, Reason: reason}
}

// Transformer masks values with a secret key. Safe for concurrent use.
//
// Keys: from the key, one subkey per purpose (token, fake, hash) is
// HMAC-SHA256(key, "dbward/mask/v1/" + purpose), and one scope key per
// purpose and Class is HMAC-SHA256(subkey, "class/" + class). A value's
// MAC is HMAC-SHA256(scope key, type family || canonical value), so a
// token never reveals a fake or a hash of the same value, and tokens of
// one Class match across tables.
type Transformer struct {
	sub   [numPurposes][32]byte
	known [numPurposes][len(knownClasses)]scope
	// other has the scopes of classes not in knownClasses: read without
	// a lock, replaced by a larger copy under mu when a class is new.
	other  atomic.Pointer[map[scopeKey]*scope]
	mu     sync.Mutex
	buffer sync.Pool
}

// NewTransformer returns a Transformer keyed with key, which must be at
// least MinKeySize bytes of secret random data. The key is not retained.
func NewTransformer(key []byte) (*Transformer, error) {
	if len(key) < MinKeySize {
		return nil, ErrShortKey
	}
	t := &Transformer{}
	for p := range numPurposes {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("dbward/mask/v1/" + purposeNames[p]))
		m.Sum(t.sub[p][:0])
		for i, c := range knownClasses {
			t.known[p][i] = newScope(t.sub[p][:], c)
		}
	}
	t.buffer.New = func() any { return newWorker() }
	return t, nil
}

// String does not show the key material.
func (t *Transformer) String() string { return "mask.Transformer{key: redacted}" }

// GoString does not show the key material.
func (t *Transformer) GoString() string { return t.String() }

type purpose uint8

const (
	purposeToken purpose = iota
	purposeFake
	purposeHash
	numPurposes
)

var purposeNames = [numPurposes]string{"token", "fake", "hash"}

// knownClasses have precomputed scopes; others are derived on first use.
var knownClasses = [...]detect.Class{"", detect.Email, detect.Phone, detect.PersonName, detect.NationalID,
	detect.CardNumber, detect.IBAN, detect.Secret, detect.Address, detect.DateOfBirth, detect.IPAddress}

// scope is one HMAC key, kept as the SHA-256 states after its inner and
// outer pad blocks, so a MAC costs two compressions for a short value.
type scope struct {
	inner, outer []byte
}

type scopeKey struct {
	p     purpose
	class detect.Class
}

func newScope(sub []byte, class detect.Class) scope {
	m := hmac.New(sha256.New, sub)
	m.Write([]byte("class/" + string(class)))
	key := m.Sum(nil)
	var ipad, opad [sha256.BlockSize]byte
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
	}
	for i, c := range key {
		ipad[i] ^= c
		opad[i] ^= c
	}
	state := func(pad []byte) []byte {
		h := sha256.New()
		h.Write(pad)
		b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			panic("BUG: sha256 state does not marshal: " + err.Error())
		}
		return b
	}
	return scope{inner: state(ipad[:]), outer: state(opad[:])}
}

func (t *Transformer) scope(p purpose, class detect.Class) *scope {
	for i, c := range knownClasses {
		if c == class {
			return &t.known[p][i]
		}
	}
	k := scopeKey{p, class}
	if m := t.other.Load(); m != nil {
		if sc, ok := (*m)[k]; ok {
			return sc
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m := map[scopeKey]*scope{}
	if old := t.other.Load(); old != nil {
		if sc, ok := (*old)[k]; ok {
			return sc
		}
		maps.Copy(m, *old)
	}
	sc := newScope(t.sub[p][:], class)
	m[k] = &sc
	t.other.Store(&m)
	return &sc
}

// worker holds what one call needs, pooled so that masking allocates
// nothing once the pool is warm.
type worker struct {
	in, out        hash.Hash
	inSt, outSt    encoding.BinaryUnmarshaler
	tag            [1]byte
	inner, mac     [32]byte
	num            [24]byte
	str, raw, elem []byte // masked characters; decoded input; an array element
	elemOut, canon []byte // a masked array element; a numeric's canonical form
	order          []detect.Finding
}

func newWorker() *worker {
	w := &worker{in: sha256.New(), out: sha256.New()}
	w.inSt = w.in.(encoding.BinaryUnmarshaler)
	w.outSt = w.out.(encoding.BinaryUnmarshaler)
	return w
}

// maxPooled bounds the buffers a pooled worker keeps, so one huge value
// does not pin its size in memory.
const maxPooled = 64 << 10

func (t *Transformer) get() *worker { return t.buffer.Get().(*worker) }

func (t *Transformer) put(w *worker) {
	for _, b := range []*[]byte{&w.str, &w.raw, &w.elem, &w.elemOut, &w.canon} {
		if cap(*b) > maxPooled {
			*b = nil
		}
	}
	if cap(w.order) > 1024 {
		w.order = nil
	}
	t.buffer.Put(w)
}

// sum returns HMAC(scope key, f || v) in w.mac.
func (w *worker) sum(sc *scope, f family, v []byte) *[32]byte {
	if w.inSt.UnmarshalBinary(sc.inner) != nil || w.outSt.UnmarshalBinary(sc.outer) != nil {
		panic("BUG: sha256 state does not unmarshal")
	}
	w.tag[0] = byte(f)
	w.in.Write(w.tag[:])
	w.in.Write(v)
	w.out.Write(w.in.Sum(w.inner[:0]))
	w.out.Sum(w.mac[:0])
	return &w.mac
}

func sumSHA256(b []byte) [32]byte { return sha256.Sum256(b) }

// family groups the types that mask the same way.
type family uint8

const (
	famText family = iota + 1 // text, varchar, xml-less text-like types
	famBpchar
	famName
	famChar // "char"
	famJSON
	famJSONB
	famXML
	famBool
	famBytea
	famInt // int2, int4, int8, oid
	famFloat
	famNumeric
	famDate
	famTime
	famTimestamp
	famTimestamptz
	famInterval
	famUUID
	famInet // inet, cidr
	famMacaddr
)

// chars reports whether values of f are character data.
func (f family) chars() bool { return f >= famText && f <= famXML }

// pgType is what masking needs to know of a PostgreSQL type.
type pgType struct {
	oid    uint32
	name   string
	fam    family
	size   int8 // int and float width; macaddr length
	signed bool // int2/4/8, not oid
	cidr   bool
}

// max is the largest value of an integer type.
func (ty pgType) max() uint64 {
	if !ty.signed {
		return 1<<32 - 1
	}
	return 1<<(8*uint(ty.size)-1) - 1
}

// The OIDs of pg_type.dat.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidCIDR        = 650
	oidFloat4      = 700
	oidFloat8      = 701
	oidUnknown     = 705
	oidMacaddr8    = 774
	oidMacaddr     = 829
	oidInet        = 869
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802

	// firstNormalOID is FirstNormalObjectId: OIDs below it are built in,
	// so an unlisted one is a type known not to be text (point, money…).
	firstNormalOID = 16384
)

func lookup(oid uint32) (pgType, bool) {
	switch oid {
	case oidBool:
		return pgType{oid: oid, name: "bool", fam: famBool}, true
	case oidBytea:
		return pgType{oid: oid, name: "bytea", fam: famBytea}, true
	case oidChar:
		return pgType{oid: oid, name: "char", fam: famChar}, true
	case oidName:
		return pgType{oid: oid, name: "name", fam: famName}, true
	case oidInt8:
		return pgType{oid: oid, name: "int8", fam: famInt, size: 8, signed: true}, true
	case oidInt2:
		return pgType{oid: oid, name: "int2", fam: famInt, size: 2, signed: true}, true
	case oidInt4:
		return pgType{oid: oid, name: "int4", fam: famInt, size: 4, signed: true}, true
	case oidText:
		return pgType{oid: oid, name: "text", fam: famText}, true
	case oidOID:
		return pgType{oid: oid, name: "oid", fam: famInt, size: 4}, true
	case oidJSON:
		return pgType{oid: oid, name: "json", fam: famJSON}, true
	case oidXML:
		return pgType{oid: oid, name: "xml", fam: famXML}, true
	case oidCIDR:
		return pgType{oid: oid, name: "cidr", fam: famInet, cidr: true}, true
	case oidFloat4:
		return pgType{oid: oid, name: "float4", fam: famFloat, size: 4}, true
	case oidFloat8:
		return pgType{oid: oid, name: "float8", fam: famFloat, size: 8}, true
	case oidUnknown:
		return pgType{oid: oid, name: "unknown", fam: famText}, true
	case oidMacaddr8:
		return pgType{oid: oid, name: "macaddr8", fam: famMacaddr, size: 8}, true
	case oidMacaddr:
		return pgType{oid: oid, name: "macaddr", fam: famMacaddr, size: 6}, true
	case oidInet:
		return pgType{oid: oid, name: "inet", fam: famInet}, true
	case oidBpchar:
		return pgType{oid: oid, name: "bpchar", fam: famBpchar}, true
	case oidVarchar:
		return pgType{oid: oid, name: "varchar", fam: famText}, true
	case oidDate:
		return pgType{oid: oid, name: "date", fam: famDate}, true
	case oidTime:
		return pgType{oid: oid, name: "time", fam: famTime}, true
	case oidTimestamp:
		return pgType{oid: oid, name: "timestamp", fam: famTimestamp}, true
	case oidTimestamptz:
		return pgType{oid: oid, name: "timestamptz", fam: famTimestamptz}, true
	case oidInterval:
		return pgType{oid: oid, name: "interval", fam: famInterval}, true
	case oidNumeric:
		return pgType{oid: oid, name: "numeric", fam: famNumeric}, true
	case oidUUID:
		return pgType{oid: oid, name: "uuid", fam: famUUID}, true
	case oidJSONB:
		return pgType{oid: oid, name: "jsonb", fam: famJSONB}, true
	}
	return pgType{}, false
}

// elementOf returns the element type OID of an array type this package
// masks, or 0.
func elementOf(oid uint32) uint32 {
	switch oid {
	case 1000:
		return oidBool
	case 1001:
		return oidBytea
	case 1002:
		return oidChar
	case 1003:
		return oidName
	case 1016:
		return oidInt8
	case 1005:
		return oidInt2
	case 1007:
		return oidInt4
	case 1009:
		return oidText
	case 1028:
		return oidOID
	case 199:
		return oidJSON
	case 143:
		return oidXML
	case 651:
		return oidCIDR
	case 1021:
		return oidFloat4
	case 1022:
		return oidFloat8
	case 775:
		return oidMacaddr8
	case 1040:
		return oidMacaddr
	case 1041:
		return oidInet
	case 1014:
		return oidBpchar
	case 1015:
		return oidVarchar
	case 1182:
		return oidDate
	case 1183:
		return oidTime
	case 1115:
		return oidTimestamp
	case 1185:
		return oidTimestamptz
	case 1187:
		return oidInterval
	case 1231:
		return oidNumeric
	case 2951:
		return oidUUID
	case 3807:
		return oidJSONB
	}
	return 0
}

// datum is a decoded value, in a form shared by both wire formats.
type datum struct {
	s      []byte   // character data; bytea; numeric significant digits (ASCII, no leading or trailing zeros)
	i      int64    // int; bool (0/1); date: days since 2000-01-01; time, timestamp, interval: µs
	f      float64  // float
	b      [16]byte // uuid; inet address (4 or 16 bytes); macaddr
	days   int32    // interval
	months int32    // interval
	exp    int32    // numeric: the value is 0.s × 10^exp
	dscale int32    // numeric display scale
	inf    int8     // numeric: 1 Infinity, -1 -Infinity, numNaN
	neg    bool     // numeric sign
	bits   uint8    // inet prefix length
	v6     bool     // inet family
	cidr   bool     // inet: host bits must be zero
}

const numNaN = 2

// mask zeroes an inet's host bits if it is a cidr.
func (d *datum) mask() {
	if !d.cidr {
		return
	}
	n := 4
	if d.v6 {
		n = 16
	}
	for i := range n {
		switch bit := int(d.bits) - 8*i; {
		case bit <= 0:
			d.b[i] = 0
		case bit < 8:
			d.b[i] &= 0xff << (8 - bit)
		}
	}
}

// setDecimal sets a numeric from ASCII digits whose first ints are the
// integer part.
func (d *datum) setDecimal(digits []byte, ints int, neg bool) {
	exp := ints
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		exp--
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		exp, neg = 0, false
	}
	d.s, d.exp, d.neg, d.inf = digits, int32(exp), neg, 0
}

// Value masks one non-NULL column value v of PostgreSQL type oid (a
// pg_type OID) in wire format format (0 text, 1 binary), as class, with
// strategy s. It appends the masked value to dst and returns it.
//
// null reports that the masked value must be sent as SQL NULL: for
// Nullify; for a binary value of a type this package does not know; for a
// text value of a built-in type it does not know (OID below 16384, e.g.
// point or money: "****" would not decode). Text values of other types
// (citext, enums, extension types, whose OIDs vary) are masked as text.
// err is non-nil only when v is not a valid value of the type in that
// format, or format is neither 0 nor 1; callers then send NULL or refuse.
// Clear returns v unchanged (appended), even if it is not valid.
//
// Text-format dates and times must be in PostgreSQL's ISO DateStyle and
// intervals in the postgres IntervalStyle (the defaults, and what drivers
// ask for); others are reported invalid.
//
// Arrays of the supported types are masked element by element in both
// formats, keeping dimensions, bounds and NULL elements; Nullify makes
// the whole array NULL.
//
// Value allocates nothing beyond growing dst, except the first time a
// Class outside detect's list is used.
func (t *Transformer) Value(dst, v []byte, oid uint32, format int16, class detect.Class, s Strategy) (out []byte, null bool, err error) {
	switch s {
	case Clear:
		return append(dst, v...), false, nil
	case Nullify:
		return dst, true, nil
	}
	if format != 0 && format != 1 {
		return dst, true, fmt.Errorf("%w: format code %d", ErrInvalidValue, format)
	}
	w := t.get()
	defer t.put(w)
	ty, ok := lookup(oid)
	if !ok {
		if elem := elementOf(oid); elem != 0 {
			ety, _ := lookup(elem)
			if format == 0 {
				return t.textArray(w, dst, v, ety, class, s)
			}
			return t.binaryArray(w, dst, v, ety, class, s)
		}
		if format == 1 || oid < firstNormalOID {
			return dst, true, nil
		}
		ty = pgType{oid: oid, name: "text", fam: famText}
	}
	return t.scalar(w, dst, v, ty, format, class, s)
}

// scalar masks a value of a type from lookup.
func (t *Transformer) scalar(w *worker, dst, v []byte, ty pgType, format int16, class detect.Class, s Strategy) ([]byte, bool, error) {
	var d datum
	var err error
	if format == 0 {
		err = decodeText(w, &d, ty, v)
	} else {
		err = decodeBinary(w, &d, ty, v)
	}
	if err != nil {
		return dst, false, err
	}
	t.mask(w, &d, ty, class, s)
	if format == 0 {
		return encodeText(dst, &d, ty), false, nil
	}
	return encodeBinary(dst, &d, ty), false, nil
}

// Spans masks the findings inside a text value v (free text, JSON text,
// jsonb's text form): each v[f.Start:f.End] is replaced by its masked
// form under strategyFor(f.Class), and everything else is kept byte for
// byte. Replacements never contain '"', '\\' or control characters, so a
// JSON text stays valid when no finding cuts an escape sequence.
//
// Clear leaves a finding as it is. Nullify cannot empty part of a value
// and redacts it. A nil strategyFor redacts every finding. Findings
// should be sorted and not overlap; Spans sorts unsorted ones, clips
// overlapping ones to what is not yet masked and ignores the parts
// outside v, so a bad list never leaks a value it covers.
//
// Tokens and hashes of a finding equal those of the same text in a
// column of the same Class. Spans appends to dst and returns it.
func (t *Transformer) Spans(dst, v []byte, findings []detect.Finding, strategyFor func(detect.Class) Strategy) []byte {
	w := t.get()
	defer t.put(w)
	byStart := func(a, b detect.Finding) int { return a.Start - b.Start }
	if !slices.IsSortedFunc(findings, byStart) {
		w.order = append(w.order[:0], findings...)
		slices.SortFunc(w.order, byStart)
		findings = w.order
	}
	done := 0 // v[:done] is in dst
	for _, f := range findings {
		start, end := max(f.Start, done), min(f.End, len(v))
		if start >= end {
			continue
		}
		s := Redact
		if strategyFor != nil {
			s = strategyFor(f.Class)
		}
		switch s {
		case Clear:
			continue
		case Partial, Token, Fake, Hash:
		default:
			s = Redact
		}
		dst = append(dst, v[done:start]...)
		dst = t.maskString(w, dst, v[start:end], f.Class, s)
		done = end
	}
	return append(dst, v[done:]...)
}
