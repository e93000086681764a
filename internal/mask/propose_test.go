package mask

import (
	"testing"

	"github.com/dbward/dbward/internal/mask/detect"
)

func TestPropose(t *testing.T) {
	vals := func(vs ...string) [][]byte {
		out := make([][]byte, len(vs))
		for i, v := range vs {
			out[i] = []byte(v)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		values [][]byte
		want   detect.Class
	}{
		{"contact", vals("a@corp-mail.net", "b@corp-mail.net", "n/a"), detect.Email}, // content: 2 of 3
		{"email", nil, detect.Email}, // name, nothing sampled
		{"memo", vals("mail a@corp-mail.net about it please, today", "no answer"), ""},   // a mention is not a column of emails
		{"ref", vals("4111 1111 1111 1111", "1234 5678 1234 5678", "x", "y", "z"), ""},   // 1 of 5 (the second fails Luhn)
		{"phone", vals("4111 1111 1111 1111", "4111 1111 1111 1111"), detect.CardNumber}, // content beats the name
		{"label", vals("", "", ""), ""},
	} {
		p := Propose(CatalogColumn{Name: tc.name}, tc.values)
		if p.Class != tc.want {
			t.Errorf("%s %q: %q (%s), want %q", tc.name, tc.values, p.Class, p.Why, tc.want)
		}
	}
}
