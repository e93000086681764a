package detect

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

func TestClassOfName(t *testing.T) {
	cases := map[Class][]string{
		Email: {"email", "e_mail", "E-Mail", "customer_email", "EmailAddress", "email_address", "emailaddress",
			"contact_email_2", "emails", "mail", "billing_email", "email_primary"},
		Phone: {"phone", "mobile", "msisdn", "tel", "phone_number", "phoneNumber", "phonenumber", "home_phone",
			"cell_number", "contact_no", "fax", "phone_e164", "telephone"},
		PersonName: {"first_name", "last_name", "full_name", "surname", "given_name", "FirstName", "lastname",
			"customer_name", "middle_name", "maiden_name", "fname", "card_holder_name", "patient_name"},
		NationalID: {"ssn", "customer_ssn", "national_id", "nino", "passport", "passport_number", "tax_id", "sin",
			"aadhaar", "nif", "social_security_number", "nhs_number", "ni_number", "drivers_license", "SSN"},
		CardNumber: {"card_number", "cc_number", "pan", "credit_card", "creditCardNumber", "cardnumber", "card_no"},
		IBAN:       {"iban", "bank_account", "bank_account_number", "bban"},
		Secret: {"password", "passwd", "secret", "api_key", "apiKey", "token", "private_key", "access_key",
			"client_secret", "password_hash", "password_digest", "encrypted_password", "refresh_token", "db_pass",
			"aws_secret_access_key", "signing_key", "credentials", "pin", "cvv", "id_token"},
		Address: {"address", "street", "postcode", "zip", "zip_code", "postal_code", "address_line_1",
			"billing_address", "home_address", "street_name", "zip4", "house_number"},
		DateOfBirth: {"dob", "date_of_birth", "birth_date", "birthday", "birthdate", "DateOfBirth", "customer_dob"},
		IPAddress: {"ip", "ip_address", "client_ip", "remote_addr", "ipv4", "ipv6_address", "IPAddress",
			"last_login_ip", "source_ip", "peer_address"},
		"": {
			"", "id", "name", "table_name", "file_name", "user_name", "username", "hostname", "display_name",
			"company_name", "zip_file", "token_count", "ip_protocol", "ip_version", "email_verified",
			"is_email_verified", "has_phone", "phone_type", "email_count", "card", "card_id", "card_last4",
			"card_type", "cc", "pass", "key", "primary_key", "sort_key", "cache_key", "page_token",
			"next_token", "mac_address", "memory_address", "wallet_address", "server_address", "email_hash",
			"ssn_encrypted", "password_changed_at", "password_reset_required", "account_number", "created_at",
			"birth_place", "place_of_birth", "street_view_enabled", "secret_name", "token_type", "mobile_app",
			"tokens_used", "status", "description", "amount", "order_number", "number", "123",
		},
	}
	for want, names := range cases {
		for _, n := range names {
			if got := ClassOfName(n); got != want {
				t.Errorf("ClassOfName(%q) = %q, want %q", n, got, want)
			}
		}
	}
}

func TestSplitName(t *testing.T) {
	for name, want := range map[string][]string{
		"customer_email":   {"customer", "email"},
		"EmailAddress":     {"email", "address"},
		"IPAddress":        {"ip", "address"},
		"SSNLast4":         {"ssn", "last", "4"},
		"ipv4-addr.x":      {"ipv", "4", "addr", "x"},
		"__a__b__":         {"a", "b"},
		"HTTPServerURL2":   {"http", "server", "url", "2"},
		"phoneNumber_e164": {"phone", "number", "e", "164"},
	} {
		var nw nameWords
		splitName(&nw, name)
		var got []string
		for i := range nw.n {
			got = append(got, string(nw.word(i)))
		}
		if !slices.Equal(got, want) {
			t.Errorf("split %q = %q, want %q", name, got, want)
		}
	}
}

func TestHints(t *testing.T) {
	for hint, want := range map[string]hintFlags{
		"ssn":                    hSSN | hNatID,
		"social_security_number": hSSN | hNatID,
		"sin":                    hSIN | hNatID,
		"nhs_number":             hNHS | hNatID,
		"aadhaar":                hAadhaar | hNatID,
		"nino":                   hNINO | hNatID,
		"phone":                  hPhone,
		"api_token":              hSecret,
		"aws_secret_access_key":  hSecret | hAWS,
		"dob":                    hDOB,
		"password":               hSecret, // not hPassword: a hint never marks whole texts
		"first_name":             0,
		"":                       0,
		"token_count":            0,
	} {
		if got := NewHint(hint).flags; got != want {
			t.Errorf("NewHint(%q) = %b, want %b", hint, got, want)
		}
	}
}

func BenchmarkClassOfName(b *testing.B) {
	names := []string{"id", "customer_email", "created_at", "EmailAddress", "shipping_address_line_2", "token_count"}
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			ClassOfName(n)
		}
	}
}

// TestVocabulary checks that vocabulary holds every word that classOfHead
// switches on and every word that sets a hint flag in classify, so that
// the filter never turns a sensitive name away.
func TestVocabulary(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "names.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || (fn.Name.Name != "classOfHead" && fn.Name.Name != "classify") {
			continue
		}
		done := false // classify: only its first switch on a word sets flags
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok || done {
				return !done
			}
			// classOfHead: the switch on head; classify: the switch on a word.
			if id, ok := sw.Tag.(*ast.Ident); !(ok && id.Name == "head") && !isStringOfW(sw.Tag) {
				return true
			}
			for _, s := range sw.Body.List {
				for _, e := range s.(*ast.CaseClause).List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						w, _ := strconv.Unquote(lit.Value)
						words = append(words, w)
					}
				}
			}
			done = fn.Name.Name == "classify"
			return false
		})
	}
	if len(words) < 100 {
		t.Fatalf("found only %d words in names.go", len(words))
	}
	for _, w := range words {
		if !slices.Contains(vocabulary[:], w) {
			t.Errorf("%q is not in vocabulary", w)
		}
		if !inVocabulary([]byte(w)) {
			t.Errorf("%q does not pass the filter", w)
		}
	}
}

func isStringOfW(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return false
	}
	fn, ok1 := call.Fun.(*ast.Ident)
	arg, ok2 := call.Args[0].(*ast.Ident)
	return ok1 && ok2 && fn.Name == "string" && arg.Name == "w"
}
