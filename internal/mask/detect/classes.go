package detect

import (
	"fmt"
	"strings"
)

// Class is a classification of sensitive data.
type Class string

// The classes, in the order of Classes.
const (
	Email       Class = "email"
	Phone       Class = "phone"
	PersonName  Class = "person_name"
	NationalID  Class = "national_id"
	CardNumber  Class = "card_number"
	IBAN        Class = "iban"
	Secret      Class = "secret"
	Address     Class = "address"
	DateOfBirth Class = "date_of_birth"
	IPAddress   Class = "ip_address"
)

// Classes lists every Class, in the order of the constants.
var Classes = []Class{Email, Phone, PersonName, NationalID, CardNumber, IBAN, Secret, Address, DateOfBirth, IPAddress}

// Valid reports whether c is one of Classes.
func (c Class) Valid() bool {
	switch c {
	case Email, Phone, PersonName, NationalID, CardNumber, IBAN, Secret, Address, DateOfBirth, IPAddress:
		return true
	}
	return false
}

// ParseClass returns the Class named s (exactly as in Classes, lower case),
// or an error that lists the valid names.
func ParseClass(s string) (Class, error) {
	if c := Class(s); c.Valid() {
		return c, nil
	}
	names := make([]string, len(Classes))
	for i, c := range Classes {
		names[i] = string(c)
	}
	return "", fmt.Errorf("unknown data class %q (valid: %s)", s, strings.Join(names, ", "))
}

// Finding is one sensitive value inside a text: text[Start:End].
type Finding struct {
	Start, End int
	Class      Class
	// Detector names the detector that found it; it is one of Detectors.
	Detector string
}

// DetectorInfo names a detector and the Class of what it finds.
type DetectorInfo struct {
	Name  string
	Class Class
}

// The detectors, by the Class they report.
var (
	dEmail        = DetectorInfo{"email", Email}
	dPhone        = DetectorInfo{"phone", Phone}
	dKeyedName    = DetectorInfo{"keyed_name", PersonName}
	dUSSSN        = DetectorInfo{"us_ssn", NationalID}
	dUKNINO       = DetectorInfo{"uk_nino", NationalID}
	dUKNHS        = DetectorInfo{"uk_nhs", NationalID}
	dESNIF        = DetectorInfo{"es_nif", NationalID}
	dINAadhaar    = DetectorInfo{"in_aadhaar", NationalID}
	dCASIN        = DetectorInfo{"ca_sin", NationalID}
	dCard         = DetectorInfo{"card", CardNumber}
	dIBAN         = DetectorInfo{"iban", IBAN}
	dJWT          = DetectorInfo{"jwt", Secret}
	dPrivateKey   = DetectorInfo{"private_key", Secret}
	dAWSAccessKey = DetectorInfo{"aws_access_key", Secret}
	dAWSSecretKey = DetectorInfo{"aws_secret_key", Secret}
	dGCPAPIKey    = DetectorInfo{"gcp_api_key", Secret}
	dGitHubToken  = DetectorInfo{"github_token", Secret}
	dGitLabToken  = DetectorInfo{"gitlab_token", Secret}
	dSlackToken   = DetectorInfo{"slack_token", Secret}
	dSlackWebhook = DetectorInfo{"slack_webhook", Secret}
	dStripeKey    = DetectorInfo{"stripe_key", Secret}
	dOpenAIKey    = DetectorInfo{"openai_key", Secret}
	dAnthropicKey = DetectorInfo{"anthropic_key", Secret}
	dBearerToken  = DetectorInfo{"bearer_token", Secret}
	dBasicAuth    = DetectorInfo{"basic_auth", Secret}
	dURLCreds     = DetectorInfo{"url_credentials", Secret}
	dPasswordHash = DetectorInfo{"password_hash", Secret}
	dHighEntropy  = DetectorInfo{"high_entropy", Secret}
	dPassword     = DetectorInfo{"password", Secret}
	dKeyedAddress = DetectorInfo{"keyed_address", Address}
	dDateOfBirth  = DetectorInfo{"date_of_birth", DateOfBirth}
	dIPv4         = DetectorInfo{"ipv4", IPAddress}
	dIPv6         = DetectorInfo{"ipv6", IPAddress}
)

// Detectors lists every detector, in the order of the classes they report.
//
// Most are named for the format they recognise. Three report values by
// the key they follow in the text (key=value, "key": "value", key: value):
// "password" is the value of a password key, whatever it looks like;
// "keyed_name" and "keyed_address" are the values of keys that name a
// person's name or a postal address ("first_name": "Ada"). "date_of_birth"
// is a date under a date-of-birth hint or key.
var Detectors = []DetectorInfo{
	dEmail, dPhone, dKeyedName,
	dUSSSN, dUKNINO, dUKNHS, dESNIF, dINAadhaar, dCASIN,
	dCard, dIBAN,
	dJWT, dPrivateKey, dAWSAccessKey, dAWSSecretKey, dGCPAPIKey, dGitHubToken, dGitLabToken, dSlackToken,
	dSlackWebhook, dStripeKey, dOpenAIKey, dAnthropicKey, dBearerToken, dBasicAuth, dURLCreds, dPasswordHash,
	dHighEntropy, dPassword,
	dKeyedAddress, dDateOfBirth, dIPv4, dIPv6,
}
