package detect

import "testing"

func TestUSSSN(t *testing.T) {
	runCases(t, []scanCase{
		tc("ssn 123-45-6789", "us_ssn=123-45-6789"),
		tc("123 45 6789", "us_ssn=123 45 6789"),
		tc("SSN: 536-90-4399.", "us_ssn=536-90-4399"),
		tch("123456789", "ssn", "us_ssn=123456789"),
		tch("123456789", "social_security_number", "us_ssn=123456789"),
		tch("123456789", "national_id", "us_ssn=123456789"),
		tc(`{"ssn": "123456789"}`, "us_ssn=123456789"), // the key is the hint
		tc("123456789"),              // bare, no hint
		tch("123456789", "order_id"), // bare, another hint
		tc("000-12-3456"),            // area 000
		tc("666-12-3456"),            // area 666
		tc("900-12-3456"),            // area 9xx
		tc("123-00-4567"),            // group 00
		tc("123-45-0000"),            // serial 0000
		tc("078-05-1120"),            // the Woolworth wallet card
		tc("123-45-6789-0"),          // a longer dashed number
		tc("123-45 6789"),            // mixed separators
		tch("000000000", "ssn"),      // area 000
		tch("1234567890", "ssn"),     // ten digits
	})
}

func TestCASIN(t *testing.T) {
	runCases(t, []scanCase{
		tc("SIN 130-692-544", "ca_sin=130-692-544"),
		tch("130 692 544", "sin", "ca_sin=130 692 544"),
		tch("987654324", "social_insurance_number", "ca_sin=987654324"),
		tc("130 692 544"),       // spaced: reads like an amount
		tc("130-692-545"),       // Luhn fails
		tc("046-454-286"),       // 0 is not issued (the CRA's sample)
		tch("130692545", "sin"), // Luhn fails
		tc("130692544"),         // bare, no hint
	})
}

func TestUKNHS(t *testing.T) {
	runCases(t, []scanCase{
		tc("NHS 943 476 5919", "uk_nhs=943 476 5919"),
		tch("401-023-2137", "nhs", "uk_nhs=401-023-2137"),
		tc("401-023-2137"), // dashed, no hint
		tch("4857773457", "nhs_number", "uk_nhs=4857773457"),
		tc("943 476 5918", "phone=943 476 5918"), // mod 11 fails: a North American phone number
		tc("9434765919"),                         // bare, no hint
		tch("1234567890", "nhs_no"),              // check digit would be 10
	})
}

func TestINAadhaar(t *testing.T) {
	runCases(t, []scanCase{
		tc("2345 6789 0124", "in_aadhaar=2345 6789 0124"),
		tc("4991-8765-4323", "in_aadhaar=4991-8765-4323"),
		tch("987654321096", "aadhaar", "in_aadhaar=987654321096"),
		tc("2345 6789 0125"),           // Verhoeff fails
		tc("1234 5678 9012"),           // begins with 1
		tc("234567890124"),             // bare, no hint
		tch("234567890125", "aadhaar"), // Verhoeff fails
	})
}

func TestESNIF(t *testing.T) {
	runCases(t, []scanCase{
		tc("DNI 12345678Z", "es_nif=12345678Z"),
		tc("87654321-X", "es_nif=87654321-X"),
		tc("NIE X1234567L", "es_nif=X1234567L"),
		tc("Y1234567X", "es_nif=Y1234567X"),
		tc("Z7654321H", "es_nif=Z7654321H"),
		tc("12345678A"),  // wrong letter
		tc("X1234567A"),  // wrong letter
		tc("W1234567L"),  // not an NIE prefix
		tc("123456789"),  // no letter
		tc("12345678ZZ"), // a longer word
	})
}

func TestUKNINO(t *testing.T) {
	runCases(t, []scanCase{
		tc("NINO AB123456C", "uk_nino=AB123456C"),
		tc("AB 12 34 56 C", "uk_nino=AB 12 34 56 C"),
		tc("JG103759A.", "uk_nino=JG103759A"),
		tch("AB123456", "nino", "uk_nino=AB123456"),
		tch("AB123456", "national_insurance_number", "uk_nino=AB123456"),
		tc("AB123456"),   // no suffix, no hint
		tc("QQ123456C"),  // Q is never a prefix letter (HMRC's example)
		tc("AO123456C"),  // O is never the second letter
		tc("GB123456A"),  // GB is not issued
		tc("AB123456E"),  // suffix beyond D
		tc("ab123456c"),  // lower case
		tc("AB1234567C"), // seven digits
	})
}
