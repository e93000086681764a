package detect

import (
	"slices"
	"testing"
)

// A scanCase is a text, a hint, and what Scan must find in it: each
// finding written detector=value, in order. No want means nothing.
type scanCase struct {
	text, hint string
	want       []string
}

// tc builds a scanCase without a hint.
func tc(text string, want ...string) scanCase { return scanCase{text: text, want: want} }

// tch builds a scanCase with a hint.
func tch(text, hint string, want ...string) scanCase {
	return scanCase{text: text, hint: hint, want: want}
}

// found returns what Scan finds in text, as detector=value.
func found(text, hint string) []string {
	var out []string
	for _, f := range Scan(nil, []byte(text), hint) {
		out = append(out, f.Detector+"="+text[f.Start:f.End])
	}
	return out
}

func runCases(t *testing.T, cases []scanCase) {
	t.Helper()
	for _, c := range cases {
		got := found(c.text, c.hint)
		if !slices.Equal(got, c.want) {
			t.Errorf("Scan(%q, hint %q)\n got %q\nwant %q", c.text, c.hint, got, c.want)
		}
		if want := len(c.want) > 0; Contains([]byte(c.text), c.hint) != want {
			t.Errorf("Contains(%q, hint %q) = %v, want %v", c.text, c.hint, !want, want)
		}
	}
}
