package mask

import (
	"fmt"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/mask/detect"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestNumericBinary: the binary form written for a numeric decodes, with
// pgx, to the number it was decoded from.
func TestNumericBinary(t *testing.T) {
	ty, _ := lookup(oidNumeric)
	for _, in := range []string{"0", "1", "-1", "9999", "10000", "12345.6789", "0.0001", "0.00001", "-0.00120",
		"123456789012345678901234567890.123456789", "1e0", "100000000", "0.1", "NaN", "Infinity", "-Infinity"} {
		if in == "1e0" {
			continue
		}
		var d datum
		if err := decodeText(newWorker(), &d, ty, []byte(in)); err != nil {
			t.Fatal(err)
		}
		bin := encodeBinary(nil, &d, ty)
		got, err := pgDecode(oidNumeric, 1, bin)
		if err != nil {
			t.Fatalf("%s: %x: %v", in, bin, err)
		}
		if want := mustDecode(t, oidNumeric, 0, []byte(in)); !sameValue(got, want) {
			t.Errorf("%s: binary %x decodes to %v", in, bin, got)
		}
		// And back: decoding that binary form gives the same datum.
		var back datum
		if err := decodeBinary(newWorker(), &back, ty, bin); err != nil || string(back.s) != string(d.s) || back.exp != d.exp || back.neg != d.neg || back.inf != d.inf {
			t.Errorf("%s: round trip %+v, want %+v (%v)", in, back, d, err)
		}
	}
}

// TestBinaryArrays: elements are masked one by one; NULLs stay; an element
// that would be NULL sets the has-NULL flag.
func TestBinaryArrays(t *testing.T) {
	tr := newTestTransformer(t)
	for _, c := range []struct {
		oid uint32
		val any
	}{
		{1007, []any{int32(1), nil, int32(3)}},
		{1007, pgtype.Array[int32]{Elements: []int32{1, 2, 3, 4}, Dims: []pgtype.ArrayDimension{{Length: 2, LowerBound: 1}, {Length: 2, LowerBound: 0}}, Valid: true}},
		{1009, []string{"a@b.com", "c d"}},
		{1009, []string{}},
		{2951, []any{[16]byte{1}, nil}},
		{1182, []any{time.Date(1985, 3, 17, 0, 0, 0, 0, time.UTC), nil}},
	} {
		in, err := pgMap.Encode(c.oid, 1, c.val, nil)
		if err != nil {
			t.Fatalf("%v: %v", c.val, err)
		}
		for _, s := range []Strategy{Redact, Token, Partial, Fake} {
			out, null, err := tr.Value(nil, in, c.oid, 1, detect.Email, s)
			if err != nil || null {
				t.Fatalf("%v %s: null=%v err=%v", c.val, s, null, err)
			}
			got, err := pgDecode(c.oid, 1, out)
			if err != nil {
				t.Fatalf("%v %s: %x does not decode: %v", c.val, s, out, err)
			}
			want, _ := pgDecode(c.oid, 1, in)
			if fmt.Sprint(shape(got)) != fmt.Sprint(shape(want)) {
				t.Errorf("%v %s: masked %v, shape differs", c.val, s, got)
			}
		}
	}
	if _, null, _ := tr.Value(nil, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23}, 1007, 1, "", Nullify); !null {
		t.Errorf("Nullify of an array is not NULL")
	}
}

// shape replaces every non-NULL leaf by 'x'.
func shape(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = shape(e)
		}
		return out
	case nil:
		return nil
	}
	return "x"
}

func TestInetBinary(t *testing.T) {
	tr := newTestTransformer(t)
	for _, in := range []string{"192.168.1.77", "10.0.0.0/8", "::1", "2001:db8::/32"} {
		for _, oid := range []uint32{oidInet, oidCIDR} {
			if oid == oidCIDR && in == "192.168.1.77" {
				continue
			}
			bin := binaryOf(t, oid, in)
			if oid == oidCIDR {
				bin[2] = 1 // pgx writes is_cidr 0; the server writes 1
			}
			for _, s := range []Strategy{Redact, Partial, Token, Fake} {
				out, _, err := tr.Value(nil, bin, oid, 1, detect.IPAddress, s)
				if err != nil {
					t.Fatalf("%s %s: %v", in, s, err)
				}
				txt, _, _ := tr.Value(nil, []byte(in), oid, 0, detect.IPAddress, s)
				got := mustDecode(t, oid, 1, out).(interface{ String() string }).String()
				want := mustDecode(t, oid, 0, txt).(interface{ String() string }).String()
				if got != want {
					t.Errorf("%s %s: binary masks to %s, text to %s", in, s, got, want)
				}
				if out[0] != bin[0] || out[1] != bin[1] || out[2] != bin[2] {
					t.Errorf("%s %s: header %x, was %x", in, s, out[:4], bin[:4])
				}
			}
		}
	}
}

// TestBinaryMatchesText: every sample masks to the same value in both
// formats, so text and binary clients see the same tokens.
func TestBinaryMatchesText(t *testing.T) {
	tr := newTestTransformer(t)
	for _, smp := range samples {
		bin := binaryOf(t, smp.oid, smp.text)
		if bin == nil || smp.oid == oidJSONB || smp.oid == oidJSON || smp.oid == oidXML || smp.oid == oidCIDR || smp.oid == 1041 || smp.oid == 3807 {
			continue // pgx rewrites JSON and writes cidr without its flag
		}
		for _, s := range []Strategy{Redact, Partial, Token, Fake, Hash} {
			txt, _, _ := tr.Value(nil, []byte(smp.text), smp.oid, 0, smp.class, s)
			out, _, _ := tr.Value(nil, bin, smp.oid, 1, smp.class, s)
			a, errA := pgDecode(smp.oid, 0, txt)
			b, errB := pgDecode(smp.oid, 1, out)
			if errA != nil || errB != nil || !sameValue(a, b) {
				t.Errorf("%d %q %s: text %q (%v), binary %x (%v)", smp.oid, smp.text, s, txt, a, out, b)
			}
		}
	}
}
