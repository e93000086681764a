package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Schema is the sample shop: personal data a governance proxy must protect.
const Schema = `
CREATE TABLE customers (
    id            integer PRIMARY KEY,
    full_name     text NOT NULL,
    email         text NOT NULL UNIQUE,
    phone         text,
    national_id   text,          -- US SSN
    card_number   text,          -- primary account number (test numbers, Luhn-valid)
    date_of_birth date,
    city          text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id),
    status      text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'refunded')),
    total_cents integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_id ON orders (customer_id);
CREATE TABLE api_keys (
    id          serial PRIMARY KEY,
    customer_id integer REFERENCES customers(id),
    label       text NOT NULL,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
`

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger",
		"Radia", "Donald", "Hedy", "Tim", "Katherine", "John", "Sophie", "Niklaus", "Annie", "Bjarne"}
	lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen",
		"Dijkstra", "Perlman", "Knuth", "Lamarr", "Berners-Lee", "Johnson", "McCarthy", "Wilson", "Wirth", "Easley", "Stroustrup"}
	cities   = []string{"Lisbon", "Berlin", "Austin", "Toronto", "Nairobi", "Osaka", "Lyon", "Dublin", "Seattle", "Porto"}
	statuses = []string{"pending", "paid", "paid", "paid", "shipped", "shipped", "refunded"}
)

// SampleData returns INSERT statements for n customers, about 4n orders and
// n/5 API keys. The same seed gives the same data.
func SampleData(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	b.WriteString("INSERT INTO customers (id, full_name, email, phone, national_id, card_number, date_of_birth, city) VALUES\n")
	for i := 1; i <= n; i++ {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(strings.ReplaceAll(last, "-", "")), i)
		phone := fmt.Sprintf("+1-%03d-555-%04d", 200+r.IntN(700), r.IntN(10000))
		ssn := fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(565), 1+r.IntN(98), 1+r.IntN(9998))
		dob := fmt.Sprintf("%d-%02d-%02d", 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28))
		sep := ","
		if i == n {
			sep = ";"
		}
		fmt.Fprintf(&b, "(%d, '%s %s', '%s', '%s', '%s', '%s', '%s', '%s')%s\n",
			i, first, sqlEscape(last), email, phone, ssn, cardNumber(r), dob, cities[r.IntN(len(cities))], sep)
	}
	b.WriteString("INSERT INTO orders (customer_id, status, total_cents, created_at) SELECT 1 + (g * 7919) % " +
		fmt.Sprint(n) + ", (ARRAY['" + strings.Join(statuses, "','") + "'])[1 + g % " + fmt.Sprint(len(statuses)) +
		"], 500 + (g * 104729) % 50000, now() - (g % 90) * interval '1 day' FROM generate_series(1, " + fmt.Sprint(4*n) + ") g;\n")
	b.WriteString("INSERT INTO api_keys (customer_id, label, secret) VALUES\n")
	keys := max(n/5, 1)
	for i := 1; i <= keys; i++ {
		sep := ","
		if i == keys {
			sep = ";"
		}
		fmt.Fprintf(&b, "(%d, 'integration %d', 'sk_live_%s')%s\n", 1+r.IntN(n), i, randomAlnum(r, 24), sep)
	}
	return b.String()
}

// cardNumber makes a 16-digit number in the 4000 test range with a valid
// Luhn check digit.
func cardNumber(r *rand.Rand) string {
	digits := make([]int, 16)
	digits[0] = 4
	for i := 1; i < 15; i++ {
		digits[i] = r.IntN(10)
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		d := digits[i]
		if (14-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	digits[15] = (10 - sum%10) % 10
	var b strings.Builder
	for _, d := range digits {
		b.WriteByte(byte('0' + d))
	}
	return b.String()
}

func randomAlnum(r *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func sqlEscape(s string) string { return strings.ReplaceAll(s, "'", "''") }
