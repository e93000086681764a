package detect

import (
	"bytes"
	"strings"
	"testing"
)

var (
	// benchClean is 100 bytes of text with nothing to find.
	benchClean = []byte("The quick brown fox jumps over the lazy dog; order 1234 shipped on 2024-01-15 at 10:30, total $12.99")
	// benchJSON is a JSON row with a few findings in it.
	benchJSON = []byte(`{"id":12345,"status":"shipped","customer":{"email":"ada@example.com","tier":"gold"},` +
		`"items":[{"sku":"AB-1234","qty":2,"price":19.99},{"sku":"CD-5678","qty":1,"price":5.00}],` +
		`"card":"4111 1111 1111 1111","note":"call +44 20 7946 0958 after 5pm","created_at":"2024-01-15T10:30:00Z"}`)
	// benchProse is ordinary English with no values in it.
	benchProse = bytes.Repeat([]byte("It was the best of times, it was the worst of times, it was the age of wisdom, "+
		"it was the age of foolishness, it was the epoch of belief. "), 32)
)

func BenchmarkScan(b *testing.B) {
	for _, bc := range []struct {
		name, hint string
		text       []byte
	}{
		{"clean100", "", benchClean},
		{"clean100-hint", "notes", benchClean},
		{"json", "", benchJSON},
		{"prose4k", "", benchProse},
		{"prose4k-secret-hint", "api_token", benchProse},
		{"all-detectors", "", allocText},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]Finding, 0, 64)
			h := NewHint(bc.hint)
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				dst = h.Scan(dst[:0], bc.text)
			}
		})
	}
	b.Run("clean100-Scan-with-hint-string", func(b *testing.B) {
		dst := make([]Finding, 0, 64)
		b.SetBytes(int64(len(benchClean)))
		b.ReportAllocs()
		for b.Loop() {
			dst = Scan(dst[:0], benchClean, "customer_notes")
		}
	})
}

// BenchmarkDetector measures each detector on a text of its own: 64 bytes
// of filler and one value.
func BenchmarkDetector(b *testing.B) {
	filler := "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
	for _, bc := range []struct{ name, hint, value string }{
		{"email", "", "ada.lovelace@example.co.uk"},
		{"phone", "", "+44 20 7946 0958"},
		{"card", "", "4111 1111 1111 1111"},
		{"iban", "", "GB82 WEST 1234 5698 7654 32"},
		{"us_ssn", "", "123-45-6789"},
		{"uk_nino", "", "AB123456C"},
		{"uk_nhs", "", "943 476 5919"},
		{"es_nif", "", "12345678Z"},
		{"in_aadhaar", "", "2345 6789 0124"},
		{"ca_sin", "", "130-692-544"},
		{"ipv4", "", "192.168.1.10"},
		{"ipv6", "", "2001:db8::8a2e:370:7334"},
		{"jwt", "", jwtHS256},
		{"private_key", "", pemRSA},
		{"aws_access_key", "", awsKey},
		{"github_token", "", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
		{"bearer_token", "", "Bearer 2YotnFZFEjr1zCsicMWpAA"},
		{"url_credentials", "", "postgres://app:s3cret@db.example.com/app"},
		{"password_hash", "", bcrypt},
		{"password", "", "password=hunter2"},
		{"high_entropy", "api_token", "q8H2kLz9Xw4Rt7Vb1Nm3Pc6Yd"},
		{"date_of_birth", "dob", "1990-05-17"},
	} {
		text := []byte(filler + bc.value + " " + filler)
		if !strings.Contains(strings.Join(found(string(text), bc.hint), " "), bc.name+"=") &&
			bc.name != "password" {
			b.Fatalf("%s: not found in %q: %q", bc.name, text, found(string(text), bc.hint))
		}
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]Finding, 0, 8)
			h := NewHint(bc.hint)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				dst = h.Scan(dst[:0], text)
			}
		})
	}
}
