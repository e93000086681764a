package mask

import (
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/mask/detect"
)

func fake(tb testing.TB, tr *Transformer, oid uint32, class detect.Class, in string) string {
	tb.Helper()
	out, null, err := tr.Value(nil, []byte(in), oid, 0, class, Fake)
	if err != nil || null {
		tb.Fatalf("Fake %d %s %q: null=%v err=%v", oid, class, in, null, err)
	}
	return string(out)
}

func luhnValid(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func ibanValid(iban string) bool {
	iban = strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	var b strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprint(&b, int(r-'A'+10))
		} else {
			b.WriteRune(r)
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func TestFakeText(t *testing.T) {
	tr := newTestTransformer(t)
	for i := range 300 {
		n := fmt.Sprint(i)

		if got := fake(t, tr, oidText, detect.Email, "person"+n+"@corp.example"); !regexp.MustCompile(`^user-[0-9a-f]{8}@example\.com$`).MatchString(got) {
			t.Fatalf("email fake %q", got)
		}

		in := fmt.Sprintf("+1 (415) 555-%04d", i)
		got := fake(t, tr, oidText, detect.Phone, in)
		if !regexp.MustCompile(`^\+1 \([2-9][0-9]{2}\) 555-01[0-9]{2}$`).MatchString(got) {
			t.Fatalf("NANP fake of %q: %q", in, got)
		}
		in = fmt.Sprintf("+44 7911 12%04d", i)
		if got := fake(t, tr, oidText, detect.Phone, in); !regexp.MustCompile(`^\+44 7700 900[0-9]{3}$`).MatchString(got) {
			t.Fatalf("UK fake of %q: %q", in, got)
		}
		in = fmt.Sprintf("+49 30 %07d", i)
		if got := fake(t, tr, oidText, detect.Phone, in); !regexp.MustCompile(`^\+49 [0-9]{2} [0-9]{7}$`).MatchString(got) {
			t.Fatalf("German fake of %q: %q", in, got)
		}
		in = fmt.Sprintf("030 %07d", i)
		if got := fake(t, tr, oidText, detect.Phone, in); !regexp.MustCompile(`^0[0-9]{2} [0-9]{7}$`).MatchString(got) {
			t.Fatalf("national fake of %q keeps the trunk 0: %q", in, got)
		}

		in = fmt.Sprintf("4111 1111 1111 %04d", i)
		got = fake(t, tr, oidText, detect.CardNumber, in)
		if !regexp.MustCompile(`^4000 00[0-9]{2} [0-9]{4} [0-9]{4}$`).MatchString(got) || !luhnValid(onlyDigits(got)) {
			t.Fatalf("card fake of %q: %q", in, got)
		}
		amex := fmt.Sprintf("3782-822463-1%04d", i)
		if got := onlyDigits(fake(t, tr, oidText, detect.CardNumber, amex)); len(got) != 15 || !luhnValid(got) {
			t.Fatalf("card fake of %q: %q", amex, got)
		}

		for _, iban := range []string{"DE89 3704 0044 0532 0130 00", "GB33BUKB20201555555555", "fr1420041010050500013m02606"} {
			in := iban[:len(iban)-3] + fmt.Sprintf("%03d", i)
			got := fake(t, tr, oidText, detect.IBAN, in)
			if !ibanValid(got) || got[:2] != in[:2] || len(got) != len(in) || got == in {
				t.Fatalf("IBAN fake of %q: %q", in, got)
			}
		}

		if got := fake(t, tr, oidText, detect.NationalID, fmt.Sprintf("078-05-%04d", i)); !regexp.MustCompile(`^9[0-9]{2}-[0-9]{2}-[0-9]{4}$`).MatchString(got) {
			t.Fatalf("SSN fake %q", got)
		}
		if got := fake(t, tr, oidText, detect.NationalID, "AB 12 34 5"+n[:1]+" C"); !regexp.MustCompile(`^[A-Z]{2} [0-9]{2} [0-9]{2} [0-9]{2} [A-Z]$`).MatchString(got) {
			t.Fatalf("NINO-shaped fake %q", got)
		}

		got = fake(t, tr, oidText, detect.PersonName, "Jane Q. Doe"+n)
		first, last, _ := strings.Cut(got, " ")
		if !slices.Contains(firstNames[:], first) || !slices.Contains(lastNames[:], last) {
			t.Fatalf("name fake %q", got)
		}
		if got := fake(t, tr, oidText, detect.PersonName, "Jane"+n); !slices.Contains(firstNames[:], got) {
			t.Fatalf("one-word name fake %q", got)
		}

		if got := fake(t, tr, oidText, detect.Address, n+" Main St, Springfield"); !regexp.MustCompile(`^[1-9][0-9]* [A-Z][a-z]+ [A-Z][a-z]+, [A-Z][a-z]+$`).MatchString(got) {
			t.Fatalf("address fake %q", got)
		}

		got = fake(t, tr, oidText, detect.DateOfBirth, "17/03/19"+fmt.Sprintf("%02d", i%100))
		if d, err := time.Parse("2006-01-02", got); err != nil || d.Year() < 1940 || d.Year() > 2005 {
			t.Fatalf("birth date fake %q", got)
		}

		got = fake(t, tr, oidText, detect.IPAddress, "10.0.0."+n)
		if a, err := netip.ParseAddr(got); err != nil || !(netip.MustParsePrefix("192.0.2.0/24").Contains(a) ||
			netip.MustParsePrefix("198.51.100.0/24").Contains(a) || netip.MustParsePrefix("203.0.113.0/24").Contains(a)) {
			t.Fatalf("IPv4 fake %q", got)
		}
		if a, err := netip.ParseAddr(fake(t, tr, oidText, detect.IPAddress, "fe80::"+n)); err != nil || !netip.MustParsePrefix("2001:db8::/32").Contains(a) {
			t.Fatalf("IPv6 fake %v", a)
		}
	}
	// Classes without a fake get a token.
	tok, _, _ := tr.Value(nil, []byte("ghp_x"), oidText, 0, detect.Secret, Token)
	if got := fake(t, tr, oidText, detect.Secret, "ghp_x"); got != string(tok) {
		t.Errorf("secret fake %q, want the token %q", got, tok)
	}
}

func TestFakeTyped(t *testing.T) {
	tr := newTestTransformer(t)
	for i := range 200 {
		got := fake(t, tr, oidDate, detect.DateOfBirth, fmt.Sprintf("19%02d-03-17", i%100))
		if d, err := time.Parse("2006-01-02", got); err != nil || d.Year() < 1940 || d.Year() > 2005 {
			t.Fatalf("birth date fake %q", got)
		}
		got = fake(t, tr, oidDate, "", fmt.Sprintf("2%03d-03-17", i))
		if !strings.HasPrefix(got, fmt.Sprintf("2%03d-", i)) {
			t.Fatalf("date fake %q keeps the year", got)
		}
		got = fake(t, tr, oidInt8, detect.CardNumber, fmt.Sprint(4111111111111111+i))
		if !strings.HasPrefix(got, testBIN) || len(got) != 16 || !luhnValid(got) {
			t.Fatalf("int8 card fake %q", got)
		}
		got = fake(t, tr, oidNumeric, detect.Phone, fmt.Sprint(14155550000+i))
		if !regexp.MustCompile(`^1[2-9][0-9]{2}55501[0-9]{2}$`).MatchString(got) {
			t.Fatalf("numeric phone fake %q", got)
		}
		got = fake(t, tr, oidCIDR, detect.IPAddress, "10.0.0.0/24")
		if !regexp.MustCompile(`^(192\.0\.2|198\.51\.100|203\.0\.113)\.0/24$`).MatchString(got) {
			t.Fatalf("cidr fake %q", got)
		}
	}
	// A card number too long for int4 falls back to a token.
	tok, _, _ := tr.Value(nil, []byte("1234567890"), oidInt4, 0, detect.CardNumber, Token)
	if got := fake(t, tr, oidInt4, detect.CardNumber, "1234567890"); got != string(tok) {
		t.Errorf("int4 card fake %q, want the token %q", got, tok)
	}
}

func TestLuhnDigit(t *testing.T) {
	for _, n := range []string{"4111111111111111", "378282246310005", "6011111111111117", "5555555555554444"} {
		if got := luhnDigit([]byte(n[:len(n)-1])); got != n[len(n)-1] {
			t.Errorf("luhnDigit(%s) = %c", n[:len(n)-1], got)
		}
	}
}
