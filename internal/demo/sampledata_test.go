package demo

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCardNumbersAreLuhnValid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		c := cardNumber(r)
		if len(c) != 16 || !luhnValid(c) {
			t.Fatalf("%s is not a valid card number", c)
		}
	}
	if luhnValid("4111111111111112") {
		t.Fatal("luhnValid accepts a wrong check digit")
	}
}

func TestSampleDataIsDeterministic(t *testing.T) {
	a, b := SampleData(20, 7), SampleData(20, 7)
	if a != b {
		t.Fatal("same seed, different data")
	}
	if strings.Count(a, "@example.com") != 20 || !strings.Contains(a, "sk_live_") {
		t.Fatalf("unexpected sample data:\n%s", a)
	}
}

// luhnValid reports whether s passes the Luhn check, computed independently
// of cardNumber so the test can catch a wrong check digit.
func luhnValid(s string) bool {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
