package detect

import (
	"slices"
	"testing"
)

// FuzzScan checks Scan's contract on any input: no panic; findings within
// the text, non-empty, in order and not overlapping; each from a listed
// detector with its class; earlier entries of dst kept; Contains and
// Hint.Scan agreeing with Scan.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		string(allocText), pemRSA, jwtHS256, "4111 1111 1111 1111", "+1 (415) 555-2671", "::ffff:1.2.3.4",
		"GB82 WEST 1234 5698 7654 32", "AB 12 34 56 C", "postgres://a:b@c/d", "x@y.z", "$2b$", "-----BEGIN ",
		"Bearer ", "password=", `{"first_name":"`, "1.2.3.4.5", "\xff\xfe@\x80",
		"1234567890123456789012345", "4111 1111 1111 1111 1111 1111 1111", "1.2.3.4.5.6.7.8.9",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "phone")
	}
	f.Add([]byte("123456789"), "ssn")
	f.Add([]byte(awsSec), "aws_secret")
	f.Add([]byte("1990-05-17"), "dob")
	valid := map[string]Class{}
	for _, d := range Detectors {
		valid[d.Name] = d.Class
	}
	f.Fuzz(func(t *testing.T, text []byte, hint string) {
		prior := Finding{Start: -1, End: -1, Detector: "prior"}
		got := Scan([]Finding{prior}, text, hint)
		if got[0] != prior {
			t.Fatalf("dst[0] changed to %+v", got[0])
		}
		got = got[1:]
		end := 0
		for _, f := range got {
			if f.Start < end || f.End <= f.Start || f.End > len(text) {
				t.Fatalf("%q hint %q: finding %+v after end %d (len %d): %+v", text, hint, f, end, len(text), got)
			}
			end = f.End
			if c, ok := valid[f.Detector]; !ok || c != f.Class || !f.Class.Valid() {
				t.Fatalf("finding %+v: unknown detector or class", f)
			}
		}
		if Contains(text, hint) != (len(got) > 0) {
			t.Fatalf("%q hint %q: Contains disagrees with %+v", text, hint, got)
		}
		if h := NewHint(hint).Scan(nil, text); !slices.Equal(h, got) && len(h)+len(got) > 0 {
			t.Fatalf("Hint.Scan %+v, Scan %+v", h, got)
		}
		ClassOfName(hint)
	})
}
