package mask

import (
	"strings"
	"testing"

	"github.com/dbward/dbward/internal/mask/detect"
)

func TestParsePlan(t *testing.T) {
	p, err := ParsePlan(map[string]any{
		"email": "partial", "card_number": map[string]any{"strategy": "redact"},
		"public.people.notes": "nullify", "*": "hash", "unknown": "refuse",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		class detect.Class
		col   string
		want  Strategy
	}{
		{detect.Email, "public.people.email", Partial},
		{detect.CardNumber, "", Redact},
		{"", "public.people.notes", Nullify},
		{detect.Email, "public.people.notes", Nullify}, // a named column beats its class
		{detect.IBAN, "", Hash},                        // "*": any other classification
		{"", "public.people.age", Clear},               // no class, not named
	} {
		if got := p.Strategy(tc.class, tc.col); got != tc.want {
			t.Errorf("Strategy(%q, %q) = %q, want %q", tc.class, tc.col, got, tc.want)
		}
	}
	if !p.Active() || !p.RefusesUnknown() {
		t.Errorf("Active %v RefusesUnknown %v", p.Active(), p.RefusesUnknown())
	}
	if p, err := ParsePlan(nil); p != nil || err != nil || p.Active() {
		t.Errorf("empty plan: %v %v", p, err)
	}
	if p, _ := ParsePlan(map[string]any{"email": "clear", "unknown": "scan"}); p.Active() {
		t.Error("a plan that clears everything is active")
	}
	for m, want := range map[string]map[string]any{
		`"email"`:           {"email": "shred"},
		`"favourite_color"`: {"favourite_color": "redact"},
		`"unknown"`:         {"unknown": "ignore"},
		`"phone"`:           {"phone": 3},
	} {
		if _, err := ParsePlan(want); err == nil || !strings.Contains(err.Error(), m) {
			t.Errorf("%v: err %v, want one naming %s", want, err, m)
		}
	}
}

func TestMergeTakesTheStrictest(t *testing.T) {
	a, _ := ParsePlan(map[string]any{"email": "partial", "public.t.c": "clear"})
	b, _ := ParsePlan(map[string]any{"*": "redact"})
	m := Merge(nil, a, b)
	if got := m.Strategy(detect.Email, ""); got != Redact {
		t.Errorf("email: %q, want redact (b masks every classification)", got)
	}
	if got := m.Strategy(detect.Phone, "public.t.c"); got != Redact {
		t.Errorf("a column one plan clears and the other redacts: %q", got)
	}
	if Merge(nil, nil) != nil || Merge(a) != a {
		t.Error("Merge of one plan is that plan, of none nil")
	}
}
