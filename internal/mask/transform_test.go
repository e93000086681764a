package mask

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/dbward/dbward/internal/mask/detect"
	"github.com/jackc/pgx/v5/pgtype"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// testKey is a fixed key, so golden outputs are stable.
var testKey = bytes.Repeat([]byte("dbward-mask-test-key/"), 2)

func newTestTransformer(tb testing.TB) *Transformer {
	tb.Helper()
	tr, err := NewTransformer(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

const oidCitext = 90001 // an extension type: its OID varies per database

// sample is a value as PostgreSQL prints it in text format, and the class
// a column holding it would have.
type sample struct {
	oid   uint32
	text  string
	class detect.Class
}

var samples = []sample{
	{oidBool, "t", ""},
	{oidBytea, `\x6a6f686e2e736d697468406578616d706c652e636f6d`, detect.Email},
	{oidChar, "j", ""},
	{oidName, "john.smith", detect.PersonName},
	{oidInt8, "4111111111111111", detect.CardNumber},
	{oidInt8, "-9223372036854775808", ""},
	{oidInt2, "-32768", ""},
	{oidInt4, "1234567890", detect.NationalID},
	{oidText, "john.smith@example.com", detect.Email},
	{oidText, "", detect.Email},
	{oidOID, "4000000000", ""},
	{oidJSON, `{"email": "john.smith@example.com"}`, detect.Email},
	{oidJSON, `"john.smith@example.com"`, detect.Email},
	{oidXML, "<person>John Smith</person>", detect.PersonName},
	{oidFloat4, "3.14159", ""},
	{oidFloat8, "-1.2345678901234e+300", ""},
	{oidFloat8, "NaN", ""},
	{oidBpchar, "AB123456  ", detect.NationalID},
	{oidBpchar, "AB12", detect.NationalID},
	{oidVarchar, "+1 (415) 555-2671", detect.Phone},
	{oidVarchar, "Jean-Luc Picard", detect.PersonName},
	{oidVarchar, "4111 1111 1111 1111", detect.CardNumber},
	{oidVarchar, "DE89 3704 0044 0532 0130 00", detect.IBAN},
	{oidVarchar, "078-05-1120", detect.NationalID},
	{oidVarchar, "221B Baker Street, London", detect.Address},
	{oidVarchar, "17/03/1985", detect.DateOfBirth},
	{oidVarchar, "192.168.1.77", detect.IPAddress},
	{oidVarchar, "ghp_abcdefghijklmnopqrstuvwxyz0123456789", detect.Secret},
	{oidDate, "1985-03-17", detect.DateOfBirth},
	{oidDate, "0044-03-15 BC", ""},
	{oidDate, "infinity", ""},
	{oidTime, "13:45:07.123456", ""},
	{oidTimestamp, "1985-03-17 13:45:07.5", detect.DateOfBirth},
	{oidTimestamptz, "1985-03-17 13:45:07+05:30", ""},
	{oidTimestamptz, "2001-12-31 23:30:00-01", ""},
	{oidInterval, "1 year 2 mons 3 days 04:05:06.5", ""},
	{oidInterval, "-1 days +02:03:00", ""},
	{oidNumeric, "12345.6789", ""},
	{oidNumeric, "-0.00120", ""},
	{oidNumeric, "4111111111111111", detect.CardNumber},
	{oidNumeric, "NaN", ""},
	{oidUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{oidJSONB, `{"name": "John Smith", "tags": [1, 2]}`, detect.PersonName},
	{oidInet, "192.168.1.77", detect.IPAddress},
	{oidInet, "2001:db8:85a3::8a2e:370:7334/64", detect.IPAddress},
	{oidCIDR, "10.1.0.0/16", detect.IPAddress},
	{oidMacaddr, "08:00:2b:01:02:03", ""},
	{oidMacaddr8, "08:00:2b:01:02:03:04:05", ""},
	{oidCitext, "John.Smith@Example.com", detect.Email},
	{1009, `{john.smith@example.com,"Jane Doe",NULL,""}`, detect.Email},
	{1007, `{{1,2},{3,4}}`, ""},
	{1182, `[0:1]={1985-03-17,1990-01-01}`, detect.DateOfBirth},
	{1014, `{"AB12  ","CD34  "}`, ""},
	{1231, `{1.50,NULL,-3}`, ""},
	{1115, `{"1985-03-17 13:45:07"}`, ""},
	{2951, `{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}`, ""},
	{1041, `{192.168.1.77,::1}`, ""},
	{3807, `{"{\"a\": 1}"}`, ""},
	{1001, `{"\\x0102"}`, ""},
	{1002, `{a,b}`, ""},
	{1000, `{t,f}`, ""},
	{1187, `{"1 day"}`, ""},
	{1183, `{12:00:00}`, ""},
	{1040, `{08:00:2b:01:02:03}`, ""},
	{1016, `{}`, ""},
}

var allStrategies = []Strategy{Clear, Redact, Partial, Token, Fake, Nullify, Hash}

var pgMap = pgtype.NewMap()

// pgDecode decodes v with pgx's codec for oid: the check that a value is
// one a client can read. Text of an unknown OID must be valid UTF-8.
func pgDecode(oid uint32, format int16, v []byte) (any, error) {
	if v == nil {
		v = []byte{} // an empty value, not NULL
	}
	typ, ok := pgMap.TypeForOID(oid)
	if !ok {
		if format == 0 && utf8.Valid(v) {
			return string(v), nil
		}
		return nil, fmt.Errorf("no codec for OID %d", oid)
	}
	val, err := typ.Codec.DecodeValue(pgMap, oid, format, v)
	if err == nil && oid == oidXML {
		err = wellFormedXML(v)
	}
	return val, err
}

// wellFormedXML checks XML content (PostgreSQL's default XMLOPTION).
func wellFormedXML(v []byte) error {
	d := xml.NewDecoder(bytes.NewReader(append(append([]byte("<x>"), v...), "</x>"...)))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// binaryOf converts a sample to binary format through pgx: decode its
// text form, encode the value in binary.
func binaryOf(tb testing.TB, oid uint32, text string) []byte {
	tb.Helper()
	if _, ok := pgMap.TypeForOID(oid); !ok {
		return nil
	}
	val, err := pgDecode(oid, 0, []byte(text))
	if err != nil {
		tb.Fatalf("pgx does not decode the sample %q (OID %d): %v", text, oid, err)
	}
	if oid == oidJSONB {
		return append([]byte{1}, text...)
	}
	if oid == oidJSON || oid == oidXML {
		return []byte(text)
	}
	switch oid { // pgx decodes infinities to a modifier it cannot encode alone
	case oidDate:
		var d pgtype.Date
		val = &d
	case oidTimestamp:
		var d pgtype.Timestamp
		val = &d
	case oidTimestamptz:
		var d pgtype.Timestamptz
		val = &d
	}
	if oid == oidDate || oid == oidTimestamp || oid == oidTimestamptz {
		if err := pgMap.Scan(oid, 0, []byte(text), val); err != nil {
			tb.Fatal(err)
		}
	}
	b, err := pgMap.Encode(oid, 1, val, nil)
	if err != nil {
		tb.Fatalf("pgx does not encode %q (OID %d) in binary: %v", text, oid, err)
	}
	return b
}

// TestEverySampleEveryStrategy is the contract of Value for each sample
// type × strategy × format: no error, NULL only for Nullify, a value pgx
// decodes, the same output twice, Clear unchanged.
func TestEverySampleEveryStrategy(t *testing.T) {
	tr := newTestTransformer(t)
	for _, smp := range samples {
		for format := int16(0); format <= 1; format++ {
			in := []byte(smp.text)
			if format == 1 {
				if in = binaryOf(t, smp.oid, smp.text); in == nil {
					continue
				}
			} else if _, err := pgDecode(smp.oid, 0, in); err != nil {
				t.Fatalf("pgx does not decode the sample %q (OID %d): %v", smp.text, smp.oid, err)
			}
			for _, s := range allStrategies {
				name := fmt.Sprintf("%d/%s/f%d/%s", smp.oid, smp.text, format, s)
				out, null, err := tr.Value(nil, in, smp.oid, format, smp.class, s)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if null != (s == Nullify) {
					t.Errorf("%s: null = %v", name, null)
					continue
				}
				if null {
					continue
				}
				if _, err := pgDecode(smp.oid, format, out); err != nil {
					t.Errorf("%s: masked %q does not decode: %v", name, out, err)
				}
				again, _, _ := tr.Value([]byte("prefix"), in, smp.oid, format, smp.class, s)
				if string(again) != "prefix"+string(out) {
					t.Errorf("%s: not deterministic or not appended: %q then %q", name, out, again)
				}
				if s == Clear && !bytes.Equal(out, in) {
					t.Errorf("%s: Clear changed the value to %q", name, out)
				}
			}
		}
	}
}

// TestMaskedHidesOriginal: no masked output contains the original value
// (of 4 bytes or more), except under Clear and Partial, and for values
// that are not personal (infinity, NaN).
func TestMaskedHidesOriginal(t *testing.T) {
	tr := newTestTransformer(t)
	for _, smp := range samples {
		if len(smp.text) < 4 || smp.text == "infinity" || smp.text == "NaN" || elementOf(smp.oid) != 0 {
			continue
		}
		for format := int16(0); format <= 1; format++ {
			in := []byte(smp.text)
			if format == 1 {
				if in = binaryOf(t, smp.oid, smp.text); in == nil || len(in) < 4 {
					continue
				}
			}
			for _, s := range []Strategy{Redact, Token, Fake, Hash} {
				out, _, _ := tr.Value(nil, in, smp.oid, format, smp.class, s)
				if bytes.Contains(out, in) {
					t.Errorf("%d %q format %d %s: masked %q contains the original", smp.oid, smp.text, format, s, out)
				}
			}
		}
	}
}

// TestGolden pins every sample's masked form under the test key, in both
// formats (binary as hex). Run with -update after a deliberate change and
// review the diff.
func TestGolden(t *testing.T) {
	tr := newTestTransformer(t)
	var b strings.Builder
	for _, smp := range samples {
		for format := int16(0); format <= 1; format++ {
			in := []byte(smp.text)
			if format == 1 {
				if in = binaryOf(t, smp.oid, smp.text); in == nil {
					continue
				}
			}
			fmt.Fprintf(&b, "# %d %s %q\n", smp.oid, smp.class, smp.text)
			for _, s := range allStrategies[1:] {
				out, null, err := tr.Value(nil, in, smp.oid, format, smp.class, s)
				shown := fmt.Sprintf("%q", out)
				switch {
				case err != nil:
					shown = "error " + err.Error()
				case null:
					shown = "NULL"
				case format == 1:
					shown = hex.EncodeToString(out)
				}
				fmt.Fprintf(&b, "f%d %-7s %s\n", format, s, shown)
			}
		}
	}
	path := filepath.Join("testdata", "value.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\n got %s\nwant %s\n(run with -update if intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", path, len(gl), len(wl))
	}
}

func TestNewTransformerKey(t *testing.T) {
	if _, err := NewTransformer(make([]byte, 31)); !errors.Is(err, ErrShortKey) {
		t.Fatalf("31-byte key: %v, want ErrShortKey", err)
	}
	tr := newTestTransformer(t)
	for _, s := range []string{tr.String(), fmt.Sprintf("%v", tr), fmt.Sprintf("%+v", tr), fmt.Sprintf("%#v", tr)} {
		if strings.Contains(s, string(testKey[:8])) || !strings.Contains(s, "redacted") {
			t.Errorf("Transformer prints as %q", s)
		}
	}
}

// TestMACIsHMAC checks the precomputed-state HMAC against crypto/hmac with
// the documented key derivation.
func TestMACIsHMAC(t *testing.T) {
	tr := newTestTransformer(t)
	mac := func(key []byte, msg ...string) []byte {
		m := hmac.New(sha256.New, key)
		for _, s := range msg {
			m.Write([]byte(s))
		}
		return m.Sum(nil)
	}
	for p, name := range purposeNames {
		sub := mac(testKey, "dbward/mask/v1/"+name)
		for _, class := range []detect.Class{"", detect.Email, "custom_class"} {
			scoped := mac(sub, "class/"+string(class))
			w := newWorker()
			got := w.sum(tr.scope(purpose(p), class), famText, []byte("john@example.com"))
			want := mac(scoped, string([]byte{byte(famText)}), "john@example.com")
			if !bytes.Equal(got[:], want) {
				t.Errorf("%s/%q: MAC %x, want %x", name, class, got, want)
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	a := newTestTransformer(t)
	b, _ := NewTransformer(bytes.Repeat([]byte{7}, 32))
	for _, s := range []Strategy{Token, Fake, Hash} {
		v := []byte("john.smith@example.com")
		a1, _, _ := a.Value(nil, v, oidText, 0, detect.Email, s)
		a2, _, _ := a.Value(nil, v, oidVarchar, 1, detect.Email, s)
		b1, _, _ := b.Value(nil, v, oidText, 0, detect.Email, s)
		if !bytes.Equal(a1, a2) {
			t.Errorf("%s: text %q and binary varchar %q differ", s, a1, a2)
		}
		if bytes.Equal(a1, b1) {
			t.Errorf("%s: two keys give the same %q", s, a1)
		}
		other, _, _ := a.Value(nil, v, oidText, 0, detect.PersonName, s)
		if s != Fake && bytes.Equal(a1, other) {
			t.Errorf("%s: classes Email and PersonName share %q", s, a1)
		}
	}
	// An int4 join key masks the same in text and binary format.
	txt, _, _ := a.Value(nil, []byte("424242"), oidInt4, 0, "", Token)
	bin, _, _ := a.Value(nil, be.AppendUint32(nil, 424242), oidInt4, 1, "", Token)
	if got, _ := pgDecode(oidInt4, 0, txt); got != mustDecode(t, oidInt4, 1, bin) {
		t.Errorf("int4 token: text %s, binary %x", txt, bin)
	}
	// Token and Hash use different subkeys.
	tok, _, _ := a.Value(nil, []byte("x"), oidText, 0, "", Token)
	hash, _, _ := a.Value(nil, []byte("x"), oidText, 0, "", Hash)
	if strings.Contains(string(tok), string(hash[7:11])) {
		t.Errorf("token %s and hash %s look related", tok, hash)
	}
}

func mustDecode(tb testing.TB, oid uint32, format int16, v []byte) any {
	tb.Helper()
	x, err := pgDecode(oid, format, v)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

// TestTokensRarelyCollide: 10,000 distinct ints give at least 9,990
// distinct tokens, for each integer width that can hold them.
func TestTokensRarelyCollide(t *testing.T) {
	tr := newTestTransformer(t)
	for _, oid := range []uint32{oidInt4, oidInt8, oidNumeric, oidText} {
		seen := map[string]bool{}
		var out []byte
		for i := range 10000 {
			out, _, _ = tr.Value(out[:0], []byte(fmt.Sprint(1000+i)), oid, 0, "", Token)
			seen[string(out)] = true
		}
		if len(seen) < 9990 {
			t.Errorf("OID %d: %d distinct tokens of 10000 values", oid, len(seen))
		}
	}
}

// TestConcurrentUse runs Value and Spans from several goroutines (run the
// package with -race to make this meaningful).
func TestConcurrentUse(t *testing.T) {
	tr := newTestTransformer(t)
	want, _, _ := tr.Value(nil, []byte("a@b.com"), oidText, 0, "custom", Token)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				got, _, _ := tr.Value(nil, []byte("a@b.com"), oidText, 0, "custom", Token)
				if !bytes.Equal(got, want) {
					t.Errorf("goroutine %d: %q, want %q", g, got, want)
					return
				}
				tr.Spans(nil, []byte("mail a@b.com now"), []detect.Finding{{Start: 5, End: 12, Class: detect.Email}}, nil)
				tr.Value(nil, []byte(fmt.Sprint(i)), oidInt8, 0, detect.Class(fmt.Sprint("c", i%3)), Fake)
			}
		})
	}
	wg.Wait()
}

func TestUnknownTypes(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid    uint32
		format int16
		null   bool
	}{
		{600, 0, true},       // point: built in, not text
		{790, 1, true},       // money
		{oidCitext, 1, true}, // any type in binary
		{oidCitext, 0, false},
		{oidUnknown, 0, false},
	} {
		out, null, err := tr.Value(nil, []byte("(1,2)"), c.oid, c.format, "", Redact)
		if err != nil || null != c.null || (!null && string(out) != "****") {
			t.Errorf("OID %d format %d: %q null=%v err=%v", c.oid, c.format, out, null, err)
		}
	}
	if _, null, err := tr.Value(nil, []byte("x"), oidText, 2, "", Redact); err == nil || !null {
		t.Errorf("format 2: null=%v err=%v", null, err)
	}
	// An unknown Strategy redacts rather than passes the value through.
	if out, _, _ := tr.Value(nil, []byte("secret"), oidText, 0, "", "bogus"); string(out) != "****" {
		t.Errorf("unknown strategy: %q", out)
	}
}

func TestInvalidValues(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid    uint32
		format int16
		v      string
	}{
		{oidInt4, 0, "12a"}, {oidInt4, 0, "2147483648"}, {oidInt2, 1, "\x00"}, {oidInt8, 0, ""},
		{oidOID, 0, "-1"}, {oidBool, 0, "yes"}, {oidFloat8, 0, "one"}, {oidNumeric, 0, "1e5"},
		{oidNumeric, 1, "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10"}, // digit 10000
		{oidDate, 0, "17/03/1985"}, {oidDate, 0, "1985-02-30"}, {oidTimestamp, 0, "1985-03-17T13:45:07"},
		{oidTimestamptz, 0, "1985-03-17 13:45:07"}, {oidTime, 0, "25:00:00"}, {oidInterval, 0, "P1Y"},
		{oidInterval, 0, "@ 1 year"}, {oidUUID, 0, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"},
		{oidInet, 0, "300.1.1.1"}, {oidCIDR, 0, "10.1.2.0/16"}, {oidInet, 0, "1:2:3:4:5:6:7:8:9"},
		{oidMacaddr, 0, "08:00:2b:01:02"}, {oidBytea, 0, `\x123`}, {oidJSONB, 1, "\x02{}"},
		{oidChar, 1, "ab"}, {1007, 0, "{1,{2}}"}, {1007, 0, "{{1,2},{3}}"}, {1007, 0, "{1,2"},
		{1007, 0, "{1, 2}"}, {1007, 0, "[1:3]={1,2}"}, {1007, 1, "\x00\x00\x00\x01"},
		{oidDate, 1, "\x7f\xff\xff\x00"},
	} {
		out, null, err := tr.Value([]byte("keep"), []byte(c.v), c.oid, c.format, "", Token)
		if err == nil || null || string(out) != "keep" {
			t.Errorf("OID %d format %d %q: %q null=%v err=%v, want an error and dst unchanged", c.oid, c.format, c.v, out, null, err)
			continue
		}
		if !errors.Is(err, ErrInvalidValue) || strings.Contains(err.Error(), c.v) && len(c.v) > 3 {
			t.Errorf("OID %d %q: error %q", c.oid, c.v, err)
		}
	}
}

func TestSpans(t *testing.T) {
	tr := newTestTransformer(t)
	strategy := func(s Strategy) func(detect.Class) Strategy {
		return func(detect.Class) Strategy { return s }
	}
	text := `{"note": "call John Smith on +1 415 555 2671 or mail john@example.com", "n": 1}`
	find := func(sub string, c detect.Class) detect.Finding {
		i := strings.Index(text, sub)
		return detect.Finding{Start: i, End: i + len(sub), Class: c}
	}
	findings := []detect.Finding{
		find("John Smith", detect.PersonName),
		find("+1 415 555 2671", detect.Phone),
		find("john@example.com", detect.Email),
	}
	for _, s := range allStrategies {
		out := string(tr.Spans(nil, []byte(text), findings, strategy(s)))
		if !json.Valid([]byte(out)) {
			t.Errorf("%s: invalid JSON %s", s, out)
		}
		if !strings.HasPrefix(out, `{"note": "call `) || !strings.HasSuffix(out, `", "n": 1}`) {
			t.Errorf("%s: text outside the findings changed: %s", s, out)
		}
		if s != Clear && (strings.Contains(out, "Smith") || strings.Contains(out, "john@") || s != Partial && strings.Contains(out, "2671")) {
			t.Errorf("%s: %s", s, out)
		}
		if s == Clear && out != text {
			t.Errorf("Clear changed the text: %s", out)
		}
	}
	got := string(tr.Spans(nil, []byte(text), findings, strategy(Partial)))
	if want := `{"note": "call J*** S*** on +* *** *** 2671 or mail ****@example.com", "n": 1}`; got != want {
		t.Errorf("Partial:\n got %s\nwant %s", got, want)
	}
	// A token of a span equals the token of the same text in a column.
	tok, _, _ := tr.Value(nil, []byte("john@example.com"), oidText, 0, detect.Email, Token)
	if got := string(tr.Spans(nil, []byte(text), findings, strategy(Token))); !strings.Contains(got, string(tok)) {
		t.Errorf("span token differs from column token %s: %s", tok, got)
	}
	// Unsorted, overlapping and out-of-range findings never leak.
	bad := []detect.Finding{findings[2], findings[0], {Start: findings[0].Start + 2, End: findings[0].End + 3}, {Start: len(text) - 2, End: len(text) + 10}}
	got = string(tr.Spans(nil, []byte(text), bad, nil))
	if strings.Contains(got, "Smith") || strings.Contains(got, "john@") || !strings.HasSuffix(got, "****") {
		t.Errorf("bad findings: %s", got)
	}
}

// TestNoAllocations holds the hot path to its budget: nothing beyond
// growing dst, which here is pre-grown.
func TestNoAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	tr := newTestTransformer(t)
	dst := make([]byte, 0, 1024)
	text := []byte(strings.Repeat("x", 60) + " john@example.com " + strings.Repeat("y", 60) + " +1 415 555 2671 " + strings.Repeat("z", 45))
	findings := []detect.Finding{{Start: 61, End: 77, Class: detect.Email}, {Start: 139, End: 154, Class: detect.Phone}}
	for _, smp := range samples {
		if smp.oid == oidCitext {
			continue
		}
		for format := int16(0); format <= 1; format++ {
			in := []byte(smp.text)
			if format == 1 {
				if in = binaryOf(t, smp.oid, smp.text); in == nil {
					continue
				}
			}
			for _, s := range allStrategies {
				n := testing.AllocsPerRun(20, func() {
					tr.Value(dst[:0], in, smp.oid, format, smp.class, s)
				})
				if n != 0 {
					t.Errorf("Value(%d %q format %d %s): %v allocations", smp.oid, smp.text, format, s, n)
				}
			}
		}
	}
	for _, s := range allStrategies {
		if n := testing.AllocsPerRun(20, func() {
			tr.Spans(dst[:0], text, findings, func(detect.Class) Strategy { return s })
		}); n != 0 {
			t.Errorf("Spans %s: %v allocations", s, n)
		}
	}
}

// fuzzOIDs are the types FuzzValue draws from.
var fuzzOIDs = []uint32{oidBool, oidBytea, oidChar, oidName, oidInt8, oidInt2, oidInt4, oidText, oidOID, oidJSON,
	oidXML, oidFloat4, oidFloat8, oidBpchar, oidVarchar, oidDate, oidTime, oidTimestamp, oidTimestamptz,
	oidInterval, oidNumeric, oidUUID, oidJSONB, oidInet, oidCIDR, oidMacaddr, oidMacaddr8, oidCitext,
	1000, 1001, 1007, 1009, 1014, 1016, 1021, 1182, 1185, 1187, 1231, 2951, 3807, 1041, 651, 1040}

var fuzzClasses = []detect.Class{"", detect.Email, detect.Phone, detect.PersonName, detect.NationalID, detect.CardNumber,
	detect.IBAN, detect.Secret, detect.Address, detect.DateOfBirth, detect.IPAddress}

// FuzzValue: Value never panics, and whatever it masks decodes with pgx
// for the type and format.
func FuzzValue(f *testing.F) {
	for i, smp := range samples {
		f.Add(uint16(indexOf(fuzzOIDs, smp.oid)), uint8(0), uint8(i), []byte(smp.text))
		if b := binaryOf(f, smp.oid, smp.text); b != nil {
			f.Add(uint16(indexOf(fuzzOIDs, smp.oid)), uint8(1), uint8(i), b)
		}
	}
	tr := newTestTransformer(f)
	f.Fuzz(func(t *testing.T, oidIndex uint16, format, pick uint8, v []byte) {
		oid := fuzzOIDs[int(oidIndex)%len(fuzzOIDs)]
		s := allStrategies[int(pick)%len(allStrategies)]
		class := fuzzClasses[int(pick/8)%len(fuzzClasses)]
		fc := int16(format % 2)
		out, null, err := tr.Value(nil, v, oid, fc, class, s)
		if err != nil || null || s == Clear {
			return
		}
		if fc == 0 && oid == oidCitext && !utf8.Valid(out) {
			t.Fatalf("%d %q %s: invalid UTF-8 %q", oid, v, s, out)
		}
		if _, derr := pgDecode(oid, fc, out); derr != nil {
			t.Fatalf("OID %d format %d %s %s: %q masked to %q, which pgx refuses: %v", oid, fc, s, class, v, out, derr)
		}
	})
}

func indexOf(s []uint32, x uint32) int {
	for i, y := range s {
		if y == x {
			return i
		}
	}
	return 0
}

func BenchmarkValue(b *testing.B) {
	tr := newTestTransformer(b)
	for _, c := range []struct {
		name   string
		oid    uint32
		format int16
		class  detect.Class
		s      Strategy
		v      []byte
	}{
		{"text/email/token", oidText, 0, detect.Email, Token, []byte("john.smith@example.com")},
		{"text/email/partial", oidText, 0, detect.Email, Partial, []byte("john.smith@example.com")},
		{"text/email/fake", oidText, 0, detect.Email, Fake, []byte("john.smith@example.com")},
		{"int4/binary/token", oidInt4, 1, "", Token, be.AppendUint32(nil, 123456)},
		{"numeric/text/token", oidNumeric, 0, "", Token, []byte("12345.67")},
		{"timestamptz/text/partial", oidTimestamptz, 0, "", Partial, []byte("1985-03-17 13:45:07+05:30")},
		{"text[]/text/token", 1009, 0, detect.Email, Token, []byte(`{a@example.com,"b c@example.com"}`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.v)))
			for b.Loop() {
				dst, _, _ = tr.Value(dst[:0], c.v, c.oid, c.format, c.class, c.s)
			}
		})
	}
}

func BenchmarkSpans(b *testing.B) {
	tr := newTestTransformer(b)
	text := []byte(strings.Repeat("x", 60) + " john@example.com " + strings.Repeat("y", 60) + " +1 415 555 2671 " + strings.Repeat("z", 45))
	findings := []detect.Finding{{Start: 61, End: 77, Class: detect.Email}, {Start: 139, End: 154, Class: detect.Phone}}
	if len(text) != 200 || string(text[61:77]) != "john@example.com" || string(text[139:154]) != "+1 415 555 2671" {
		b.Fatalf("bad fixture: %d bytes", len(text))
	}
	for _, s := range []Strategy{Token, Partial, Fake} {
		b.Run(string(s), func(b *testing.B) {
			dst := make([]byte, 0, 512)
			strategy := func(detect.Class) Strategy { return s }
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				dst = tr.Spans(dst[:0], text, findings, strategy)
			}
		})
	}
}

func TestUnknownClassAllocatesOnce(t *testing.T) {
	tr := newTestTransformer(t)
	dst, in := make([]byte, 0, 64), []byte("x")
	if n := testing.AllocsPerRun(20, func() {
		tr.Value(dst[:0], in, oidText, 0, "loyalty_number", Token)
	}); n != 0 {
		t.Errorf("%v allocations for a class seen before", n)
	}
}

func ExampleTransformer_Value() {
	tr, _ := NewTransformer([]byte("an example key of at least 32 bytes, from a secret store"))
	for _, s := range []Strategy{Redact, Partial, Token, Fake, Hash} {
		out, _, _ := tr.Value(nil, []byte("jane.doe@corp.example"), 25, 0, detect.Email, s)
		fmt.Printf("%-7s %s\n", s, out)
	}
	// An int4 stays an int4; a date stays a date.
	id, _, _ := tr.Value(nil, []byte("42"), 23, 0, "", Token)
	born, _, _ := tr.Value(nil, []byte("1985-03-17"), 1082, 0, detect.DateOfBirth, Partial)
	fmt.Println(string(id), string(born))
	// Output:
	// redact  ****
	// partial ****@corp.example
	// token   tok_oezfkgnp4hn25vpz
	// fake    user-7eab4d37@example.com
	// hash    sha256:7145988be22fb8be
	// 1107050470 1985-01-01
}

func ExampleTransformer_Spans() {
	tr, _ := NewTransformer([]byte("an example key of at least 32 bytes, from a secret store"))
	note := []byte(`{"note": "call Jane Doe on +1 415 555 2671"}`)
	findings := []detect.Finding{
		{Start: 15, End: 23, Class: detect.PersonName},
		{Start: 27, End: 42, Class: detect.Phone},
	}
	fmt.Printf("%s\n", tr.Spans(nil, note, findings, func(detect.Class) Strategy { return Partial }))
	fmt.Printf("%s\n", tr.Spans(nil, note, findings, func(c detect.Class) Strategy {
		if c == detect.Phone {
			return Fake
		}
		return Token
	}))
	// Output:
	// {"note": "call J*** D*** on +* *** *** 2671"}
	// {"note": "call tok_22fekewchy6npjxu on +1 845 555 0124"}
}
