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
