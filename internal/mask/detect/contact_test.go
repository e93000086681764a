package detect

import "testing"

func TestEmail(t *testing.T) {
	runCases(t, []scanCase{
		tc("mail ada@example.com now", "email=ada@example.com"),
		tc("Ada.Lovelace+news@Mail.Example.CO.UK.", "email=Ada.Lovelace+news@Mail.Example.CO.UK"),
		tc("<first_last@sub.example.io>", "email=first_last@sub.example.io"),
		tc(`{"e":"x@y.museum"}`, "email=x@y.museum"),
		tc("a@b.c.d.example.org,b@example.net", "email=a@b.c.d.example.org", "email=b@example.net"),
		tc("user%tag@example.com", "email=user%tag@example.com"),
		tc("José élodie@example.fr", "email=élodie@example.fr"),
		tc(".dots@example.com", "email=dots@example.com"),
		tc("xn--bcher-kva@xn--bcher-kva.xn--p1ai", "email=xn--bcher-kva@xn--bcher-kva.xn--p1ai"),
		tc("icon@2x.png"),        // .png is no top-level domain
		tc("user@localhost"),     // one label
		tc("user@host.internal"), // not in the root zone
		tc("user@-example.com"),  // label begins with '-'
		tc("user.@example.com"),  // local part ends with '.'
		tc("@example.com"),       // no local part
		tc("user@"),              // no domain
		tc("user@@example.com"),
		tc("npm i @types/node@18.0.0"),
		tc(string(make([]byte, 70)) + "@example.com"),
	})
	long := "a"
	for range 70 {
		long += "b"
	}
	runCases(t, []scanCase{tc(long + "@example.com")}) // local part over 64
}

func TestPhone(t *testing.T) {
	runCases(t, []scanCase{
		// International.
		tc("call +44 20 7946 0958", "phone=+44 20 7946 0958"),
		tc("+14155552671", "phone=+14155552671"),
		tc("+1 (415) 555-2671", "phone=+1 (415) 555-2671"),
		tc("+44 (0)20 7946 0958", "phone=+44 (0)20 7946 0958"),
		tc("+33 6 12 34 56 78", "phone=+33 6 12 34 56 78"),
		tc("+49-30-901820", "phone=+49-30-901820"),
		tc("tel:+91 98765 43210", "phone=+91 98765 43210"),
		// North American.
		tc("(415) 555-2671", "phone=(415) 555-2671"),
		tc("415-555-2671", "phone=415-555-2671"),
		tc("415.555.2671", "phone=415.555.2671"),
		tc("1-415-555-2671", "phone=1-415-555-2671"),
		tc("(415)555-2671", "phone=(415)555-2671"),
		// National, with a trunk 0.
		tc("020 7946 0958", "phone=020 7946 0958"),
		tc("07700 900123", "phone=07700 900123"),
		tc("06 12 34 56 78", "phone=06 12 34 56 78"),
		tc("0412 345 678", "phone=0412 345 678"),
		// A phone hint: bare digit runs too.
		tch("4155552671", "phone", "phone=4155552671"),
		tch("07700900123", "mobile_number", "phone=07700900123"),
		tch("555-1234", "phone", "phone=555-1234"),
		tc(`{"phone":"4155552671"}`, "phone=4155552671"), // the key is the hint

		// Not phones.
		tc("4155552671"),        // bare, no hint
		tc("+1234"),             // too short
		tc("+0 123 456 7890"),   // no country code begins with 0
		tc("+28 123 456 7890"),  // nor with 28
		tc("+1234567890123456"), // 16 digits
		tc("2024-01-15"),        // a date
		tc("15.01.2024"),        // a date
		tc("+2024-01-15"),       // a date
		tc("415-155-2671"),      // exchange begins with 1
		tc("115-555-2671"),      // area code begins with 1
		tc("1 234 567 890"),     // an amount
		tc("12:30:45"),
		tc("$1,234.56"),
		tc("123e4567-e89b-12d3-a456-426614174000"), // a UUID
		tc("0012-3456-7890"),                       // 00 is no trunk prefix
		tc("020 7946-0958"),                        // mixed separators, trunk 0
		tc("x020 7946 0958"),                       // inside a word
		tch("2024-01-15", "phone"),                 // a date, even under the hint
		tch("12345", "phone"),                      // too short
	})
}
