package detect

import "testing"

func TestCards(t *testing.T) {
	runCases(t, []scanCase{
		// Each scheme, bare.
		tc("4111111111111111", "card=4111111111111111"),       // Visa
		tc("4222222222222", "card=4222222222222"),             // Visa, 13 digits
		tc("5555555555554444", "card=5555555555554444"),       // Mastercard
		tc("2223003122003222", "card=2223003122003222"),       // Mastercard 2-series
		tc("378282246310005", "card=378282246310005"),         // American Express
		tc("6011111111111117", "card=6011111111111117"),       // Discover
		tc("3530111333300000", "card=3530111333300000"),       // JCB
		tc("30569309025904", "card=30569309025904"),           // Diners Club, 14 digits
		tc("6200000000000005", "card=6200000000000005"),       // UnionPay
		tc("6759649826438453", "card=6759649826438453"),       // Maestro
		tc("pan:4012888888881881;", "card=4012888888881881"),  // in punctuation
		tc("4111 1111 1111 1111", "card=4111 1111 1111 1111"), // printed groups
		tc("4111-1111-1111-1111", "card=4111-1111-1111-1111"), // dashed
		tc("3782 822463 10005", "card=3782 822463 10005"),     // Amex 4-6-5
		tc("card 4111 1111 1111 1111 exp 12/25", "card=4111 1111 1111 1111"),
		tc("card 4111 1111 1111 1111 12/25", "card=4111 1111 1111 1111"),
		tc(`{"n":"4111111111111111"}`, "card=4111111111111111"),
		tc("x,4111111111111111,y", "card=4111111111111111"),

		// Luhn fails: an order id of the same shape.
		tc("order 4111111111111112"),
		tc("4111 1111 1111 1112"),
		// Luhn passes, but no scheme issues the prefix (or the length).
		tc("1234567812345670"),
		tc("0000000000000000"),
		tc("4111111111111111111"),          // Visa prefix, 19 digits, Luhn fails
		tc("37828224631000"),               // Amex prefix, 14 digits
		tc("5555555555554444555"),          // a longer number
		tc("41111111111111110"),            // 17 digits
		tc("4111.1111.1111.1111"),          // dots are not how cards are written
		tc("4111 1111 1111 1111 2222"),     // a 20-digit spaced number
		tc("4111-1111-1111-1111-22"),       // dashed number goes on
		tc("x4111111111111111"),            // inside a word
		tc("4111111111111111.50"),          // an amount
		tc("ORD-4111111111111111"),         // the tail of an id
		tc("41111111 11111111"),            // not grouped as cards are
		tc("4111111111111111111111111111"), // a long digit run
		tc("4111 1111 1111 1111 1111 1111 1111 1111 1"),
	})
}
