package detect

// Column-name classification. A name is split into lower-case words (at
// any byte that is not a letter or digit, at camelCase humps and between
// letters and digits) and judged by its head word — in English compounds
// the last noun names what the value is: customer_email is an email,
// email_count is a count. Value suffixes (number, no, value, text, line,
// primary, …) and digit words are dropped first, so phone_number and
// address_line_2 are judged by phone and address; a word that follows the
// class word and is not such a suffix (email_verified, zip_file,
// token_count, ip_protocol, password_changed_at) makes the name describe
// something else, and it is left unclassified.
//
// Decisions on ambiguous names, each tested in names_test.go:
//   - "name" alone, user_name/username, display_name, file_name,
//     table_name, company_name: not a person's name; only qualified forms
//     are (first_name, last_name, full_name, customer_name, holder_name…);
//   - account_number alone: not an IBAN (it is as often a customer
//     number); bank_account and bank_account_number are;
//   - card alone, card_id, card_last4, card_type: not a card number;
//     card_number, credit_card, cc_number, pan are;
//   - cc alone: not a card (e-mail carbon copies);
//   - pass alone: not a secret (pass/fail); db_pass, smtp_pass are;
//   - key alone, primary_key, sort_key, cache_key: not a secret; api_key,
//     private_key, access_key, secret_key, signing_key… are;
//   - page_token, next_token, continuation_token: not secrets;
//   - address qualified by ip/remote/client/peer is an IP address
//     (remote_addr), by mac/memory/wallet/server/host/… is nothing, by
//     email is an email, otherwise a postal address;
//   - password_hash, password_digest, encrypted_password: secrets;
//     email_hash, ssn_encrypted: not (the value is not the clear datum);
//   - cvv, cvc, pin: secrets (not card numbers: keeping a card's last four
//     digits visible would show a CVV whole).

// maxNameWords bounds the words of a name that are looked at.
const maxNameWords = 16

type span struct{ start, end uint8 }

// nameWords holds a name split into lower-case words.
type nameWords struct {
	buf [64]byte
	w   [maxNameWords]span
	n   int
}

func (nw *nameWords) word(i int) []byte {
	if i < 0 || i >= nw.n {
		return nil
	}
	return nw.buf[nw.w[i].start:nw.w[i].end]
}

// splitName fills nw with the words of name (its first 64 bytes: longer
// than any PostgreSQL identifier).
func splitName[T string | []byte](nw *nameWords, name T) {
	nw.n = 0
	n := min(len(name), len(nw.buf))
	start := -1
	for i := 0; i <= n; i++ {
		var c byte
		if i < n {
			c = name[i]
		}
		k := charClass[c] & (cUpper | cLower | cDigit)
		if k == 0 { // separator (or end)
			if start >= 0 {
				nw.add(start, i)
				start = -1
			}
			continue
		}
		if k&cUpper != 0 {
			c += 'a' - 'A'
		}
		nw.buf[i] = c
		if start < 0 {
			start = i
			continue
		}
		p := charClass[name[i-1]]
		switch {
		case k&cDigit != 0 && p&cDigit == 0, k&cDigit == 0 && p&cDigit != 0:
			// letters and digits part
		case k&cUpper != 0 && p&cLower != 0:
			// camelCase hump
		case k&cLower != 0 && p&cUpper != 0 && i-start >= 2:
			// "IPAddress": the last capital of a run begins a word
			nw.add(start, i-1)
			start = i - 1
			continue
		default:
			continue
		}
		nw.add(start, i)
		start = i
	}
}

func (nw *nameWords) add(start, end int) {
	if nw.n < maxNameWords {
		nw.w[nw.n] = span{uint8(start), uint8(end)}
		nw.n++
	}
}

// ClassOfName returns the Class a column name suggests, or "" when it
// suggests none. It is case-insensitive and looks at words split at any
// punctuation, at camelCase humps and between letters and digits; the file
// comment in names.go lists its decisions on ambiguous names.
func ClassOfName(name string) Class {
	c, _ := classify(name)
	return c
}

// classify returns the class a name suggests and the hint flags it sets.
func classify[T string | []byte](name T) (Class, hintFlags) {
	var nw nameWords
	splitName(&nw, name)
	// Drop digit words, and note words that pick a national-id detector.
	var flags hintFlags
	k, known := 0, false
	for i := range nw.n {
		w := nw.word(i)
		if charClass[w[0]]&cDigit != 0 {
			continue
		}
		nw.w[k] = nw.w[i]
		k++
		if !inVocabulary(w) {
			continue
		}
		known = true
		switch string(w) {
		case "ssn", "ssns", "itin":
			flags |= hSSN
		case "sin":
			flags |= hSIN
		case "nhs":
			flags |= hNHS
		case "aadhaar", "aadhar", "uidai":
			flags |= hAadhaar
		case "nino":
			flags |= hNINO
		case "aws":
			flags |= hAWS
		case "security":
			if k > 1 && string(nw.word(k-2)) == "social" {
				flags |= hSSN
			}
		case "insurance":
			if k > 1 && string(nw.word(k-2)) == "social" {
				flags |= hSIN
			} else if k > 1 && string(nw.word(k-2)) == "national" {
				flags |= hNINO
			}
		}
	}
	nw.n = k
	if !known {
		return "", 0 // the common case: no word that matters
	}
	switch string(nw.word(0)) {
	case "is", "has", "can", "should", "allow", "allows", "use", "uses", "need", "needs", "require", "requires":
		return "", flags // a boolean about the thing, not the thing
	}
	number := false
	for nw.n > 1 {
		w := nw.word(nw.n - 1)
		switch string(w) {
		case "number", "no", "num", "nr", "nbr":
			number = true
		case "value", "val", "text", "txt", "str", "string", "raw", "plain", "plaintext", "cleartext", "clear",
			"line", "e", "intl", "international", "primary", "secondary", "alt", "alternate", "alternative",
			"other", "main", "home", "work", "office", "personal", "list":
		default:
			goto judged
		}
		nw.n--
	}
judged:
	head, prev, prev2 := nw.word(nw.n-1), nw.word(nw.n-2), nw.word(nw.n-3)
	c, f := classOfHead(string(head), string(prev), string(prev2), number)
	return c, flags | f | classFlags(c)
}

// classOfHead judges a name by its head word and the two words before it.
func classOfHead(head, prev, prev2 string, number bool) (Class, hintFlags) {
	switch head {
	case "email", "emails", "emailaddress", "emailaddr", "emailaddresses", "mailaddress":
		return Email, 0
	case "mail":
		if prev == "voice" || prev == "snail" {
			return "", 0
		}
		return Email, 0
	case "phone", "phones", "telephone", "tel", "mobile", "msisdn", "cellphone", "phonenumber", "phoneno",
		"mobilenumber", "mobileno", "telno", "fax", "telefon", "telefono", "telephonenumber":
		return Phone, 0
	case "cell", "contact":
		if number {
			return Phone, 0
		}
	case "name", "names":
		switch {
		case personQualifier(prev):
			return PersonName, 0
		case prev == "street" || prev == "road":
			return Address, 0
		}
	case "firstname", "lastname", "fullname", "surname", "surnames", "forename", "forenames", "givenname",
		"familyname", "middlename", "maidenname", "fname", "lname", "cardholder":
		return PersonName, 0
	case "ssn", "ssns", "nino", "aadhaar", "aadhar", "nif", "nie", "dni", "sin", "tin", "itin", "passport",
		"passports", "cpf", "pesel", "bsn", "personnummer", "nationalid", "taxid", "passportnumber", "passportno",
		"nhs":
		return NationalID, 0
	case "ni":
		if number {
			return NationalID, hNINO
		}
	case "security", "insurance":
		if prev == "social" || (head == "insurance" && prev == "national") {
			return NationalID, 0
		}
	case "id", "identifier", "ident", "ids":
		switch prev {
		case "national", "tax", "taxpayer", "passport", "voter", "citizen", "government", "gov", "resident", "personal":
			return NationalID, 0
		}
	case "license", "licence":
		if prev == "driver" || prev == "drivers" || prev == "driving" {
			return NationalID, 0
		}
	case "code":
		switch prev {
		case "zip", "postal", "post":
			return Address, 0
		case "pin", "security":
			return Secret, 0
		}
	case "card", "cards":
		switch prev {
		case "credit", "debit", "payment":
			return CardNumber, 0
		case "id", "identity":
			if number {
				return NationalID, 0
			}
		case "":
			if number {
				return CardNumber, 0
			}
		}
	case "creditcard", "creditcards", "creditcardnumber", "cardnumber", "ccnumber", "ccnum", "ccn", "pan":
		return CardNumber, 0
	case "cc":
		if number {
			return CardNumber, 0
		}
	case "iban", "ibans", "bban", "bankaccount":
		return IBAN, 0
	case "account", "acct":
		if prev == "bank" {
			return IBAN, 0
		}
	case "password", "passwords", "passwd", "pwd", "passphrase", "passcode", "encryptedpassword":
		return Secret, hPassword
	case "pass":
		if prev != "" && prev != "boarding" {
			return Secret, hPassword
		}
	case "secret", "secrets", "clientsecret", "credential", "credentials", "creds", "pin", "cvv", "cvc", "apikey",
		"apikeys", "accesskey", "secretkey", "privatekey", "accesstoken", "refreshtoken", "authtoken", "apitoken":
		return Secret, 0
	case "token", "tokens":
		switch prev {
		case "page", "pagination", "continuation", "next", "sync", "cursor", "resume", "paging":
			return "", 0
		}
		return Secret, 0
	case "key", "keys":
		if secretKeyQualifier(prev) {
			return Secret, 0
		}
	case "hash", "hashed", "digest", "encrypted", "enc", "crypt", "bcrypt":
		switch prev {
		case "password", "passwd", "pwd", "passphrase", "pass", "pin":
			return Secret, 0
		}
	case "address", "addresses", "addr", "addrs":
		switch {
		case prev == "email" || prev == "mail" || prev == "e":
			return Email, 0
		case ipQualifier(prev):
			return IPAddress, 0
		case nonPostalQualifier(prev):
			return "", 0
		}
		return Address, 0
	case "street", "streets", "streetaddress", "postcode", "postcodes", "postalcode", "zipcode", "zip",
		"housenumber":
		return Address, 0
	case "house":
		if number {
			return Address, 0
		}
	case "dob", "birthday", "birthdate", "birthdates", "dateofbirth":
		return DateOfBirth, 0
	case "date", "day", "year":
		if prev == "birth" {
			return DateOfBirth, 0
		}
	case "birth":
		if prev == "of" && (prev2 == "date" || prev2 == "day") {
			return DateOfBirth, 0
		}
	case "ip", "ips", "ipv", "ipaddress", "ipaddr", "ipaddresses":
		return IPAddress, 0
	}
	return "", 0
}

// vocabulary lists every word that can make a name sensitive: the head
// words classOfHead knows and the words that set hint flags. A name with
// none of them is settled at once (TestVocabulary keeps the list complete).
var vocabulary = [...]string{
	"aadhaar", "aadhar", "accesskey", "accesstoken", "account", "acct", "addr", "address", "addresses",
	"addrs", "apikey", "apikeys", "apitoken", "authtoken", "aws", "bankaccount", "bban", "bcrypt",
	"birth", "birthdate", "birthdates", "birthday", "bsn", "card", "cardholder", "cardnumber", "cards",
	"cc", "ccn", "ccnum", "ccnumber", "cell", "cellphone", "clientsecret", "code", "contact", "cpf",
	"credential", "credentials", "creditcard", "creditcardnumber", "creditcards", "creds", "crypt",
	"cvc", "cvv", "date", "dateofbirth", "day", "digest", "dni", "dob", "email", "emailaddr",
	"emailaddress", "emailaddresses", "emails", "enc", "encrypted", "encryptedpassword", "familyname",
	"fax", "firstname", "fname", "forename", "forenames", "fullname", "givenname", "hash", "hashed",
	"house", "housenumber", "iban", "ibans", "id", "ident", "identifier", "ids", "insurance", "ip",
	"ipaddr", "ipaddress", "ipaddresses", "ips", "ipv", "itin", "key", "keys", "lastname", "licence",
	"license", "lname", "maidenname", "mail", "mailaddress", "middlename", "mobile", "mobileno",
	"mobilenumber", "msisdn", "name", "names", "nationalid", "nhs", "ni", "nie", "nif", "nino", "pan",
	"pass", "passcode", "passphrase", "passport", "passportno", "passportnumber", "passports",
	"passwd", "password", "passwords", "personnummer", "pesel", "phone", "phoneno", "phonenumber",
	"phones", "pin", "postalcode", "postcode", "postcodes", "privatekey", "pwd", "refreshtoken",
	"secret", "secretkey", "secrets", "security", "sin", "ssn", "ssns", "street", "streetaddress",
	"streets", "surname", "surnames", "taxid", "tel", "telefon", "telefono", "telephone",
	"telephonenumber", "telno", "tin", "token", "tokens", "uidai", "year", "zip", "zipcode",
}

// vocabFilter is a Bloom filter of vocabulary (two bits a word in 2048;
// about one other word in twenty passes it).
var vocabFilter = func() (f [32]uint64) {
	for _, w := range vocabulary {
		h := wordHash(w)
		f[h>>6&31] |= 1 << (h & 63)
		f[h>>17&31] |= 1 << (h >> 11 & 63)
	}
	return f
}()

func wordHash[T string | []byte](w T) uint32 {
	h := uint32(2166136261)
	for i := range len(w) {
		h = (h ^ uint32(w[i])) * 16777619
	}
	return h
}

// inVocabulary reports whether w may be one of vocabulary.
func inVocabulary(w []byte) bool {
	h := wordHash(w)
	return vocabFilter[h>>6&31]&(1<<(h&63)) != 0 && vocabFilter[h>>17&31]&(1<<(h>>11&63)) != 0
}

// personQualifier reports whether w before "name" makes it a person's name.
func personQualifier(w string) bool {
	switch w {
	case "first", "last", "middle", "given", "family", "full", "maiden", "legal", "birth", "sur", "fore",
		"christian", "person", "persons", "customer", "cust", "client", "patient", "employee", "emp", "member",
		"contact", "holder", "cardholder", "beneficiary", "recipient", "guardian", "parent", "mother", "mothers",
		"father", "fathers", "spouse", "applicant", "student", "passenger", "driver", "guest", "traveler",
		"traveller", "insured", "subscriber", "real", "emergency", "owner", "author", "signer", "signatory",
		"payee", "payer", "candidate", "citizen", "resident", "doctor", "physician", "nurse", "billing",
		"shipping":
		return true
	}
	return false
}

// secretKeyQualifier reports whether w before "key" makes it a secret key.
func secretKeyQualifier(w string) bool {
	switch w {
	case "api", "private", "access", "secret", "secure", "signing", "sign", "encryption", "enc", "crypto",
		"auth", "license", "licence", "master", "client", "app", "ssh", "aws", "gcp", "gpg", "pgp", "hmac",
		"session", "shared", "webhook", "stripe", "openai", "service", "account", "storage", "root", "admin",
		"deploy", "jwt", "cipher", "aes", "rsa", "psk", "preshared", "decryption", "wrapping", "kms":
		return true
	}
	return false
}

// ipQualifier reports whether w before "address" makes it an IP address.
func ipQualifier(w string) bool {
	switch w {
	case "ip", "ipv", "inet", "remote", "client", "peer", "src", "source", "forwarded":
		return true
	}
	return false
}

// nonPostalQualifier reports whether w before "address" makes it an
// address of something other than a place or a person.
func nonPostalQualifier(w string) bool {
	switch w {
	case "mac", "hw", "hardware", "ether", "ethernet", "memory", "mem", "wallet", "contract", "web", "url", "base",
		"start", "end", "return", "bind", "listen", "server", "host", "gateway", "broadcast", "network", "net",
		"multicast", "link", "bluetooth", "bt", "node", "local", "virtual", "vm", "pointer", "ptr", "offset",
		"load", "store", "jump", "target", "proxy", "dns", "smtp", "mx", "pool", "btc", "eth", "crypto",
		"deposit", "validator", "token", "multisig":
		return true
	}
	return false
}
