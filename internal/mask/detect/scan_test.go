package detect

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOverlaps(t *testing.T) {
	runCases(t, []scanCase{
		// One value, one finding: the more specific or longer detector.
		tc("Authorization: Bearer "+jwtHS256, "jwt="+jwtHS256),
		tc("postgres://u:ghp_abcdefghijklmnopqrstuvwxyz0123456789@h/db", "url_credentials=ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
		tc("4111111111111111@example.com", "email=4111111111111111@example.com"),
		tc("DE89 3704 0044 0532 0130 00", "iban=DE89 3704 0044 0532 0130 00"),
		tc("password=ada@example.com", "password=ada@example.com"),
		tc("api_key="+awsKey, "aws_access_key="+awsKey),
		// A tie goes to the checksummed id, unless the hint says phone.
		tc("943 476 5919", "uk_nhs=943 476 5919"),
		tch("943 476 5919", "phone", "phone=943 476 5919"),
		tch("192.168.100.200", "phone", "ipv4=192.168.100.200"),
		// An e-mail address's local part never reaches into the finding
		// before it.
		tc(awsKey+".x@example.com", "aws_access_key="+awsKey, "email=x@example.com"),
		// Findings in order.
		tc("a 4111111111111111 b ada@example.com c 10.0.0.1 d "+awsKey,
			"card=4111111111111111", "email=ada@example.com", "ipv4=10.0.0.1", "aws_access_key="+awsKey),
	})
}

func TestScanAppends(t *testing.T) {
	prior := Finding{Start: 1, End: 2, Class: Email, Detector: "email"}
	dst := Scan([]Finding{prior}, []byte("x 10.0.0.1"), "")
	if len(dst) != 2 || dst[0] != prior || dst[1].Detector != "ipv4" {
		t.Fatalf("Scan appended %+v", dst)
	}
	if dst := Scan(nil, nil, ""); dst != nil {
		t.Fatalf("Scan of nothing = %+v", dst)
	}
}

func TestHintScanMatchesScan(t *testing.T) {
	text := []byte(`{"ssn":"123456789"} 4155552671 ` + awsSec)
	for _, hint := range []string{"", "phone", "aws_secret", "ssn"} {
		a := Scan(nil, text, hint)
		b := NewHint(hint).Scan(nil, text)
		if !slices.Equal(a, b) {
			t.Errorf("hint %q: Scan %+v, Hint.Scan %+v", hint, a, b)
		}
		if NewHint(hint).Contains(text) != (len(a) > 0) {
			t.Errorf("hint %q: Hint.Contains disagrees", hint)
		}
	}
}

// allocText has a finding of every kind that takes a different path.
var allocText = []byte(`{"email":"ada@example.com","phone":"+44 20 7946 0958","card":"4111 1111 1111 1111",` +
	`"iban":"GB82 WEST 1234 5698 7654 32","ssn":"123-45-6789","ip":"2001:db8::1","v4":"10.0.0.1",` +
	`"password":"hunter2","first_name":"Ada","auth":"Bearer ` + jwtHS256 + `","key":"` + awsKey + `",` +
	`"secret":"` + awsSec + `","hash":"` + bcrypt + `","url":"postgres://u:p4ss@db/x","nino":"AB123456C",` +
	`"pem":"` + strings.ReplaceAll(pemRSA, "\n", `\n`) + `","dob":"1990-05-17","gh":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}`)

func TestScanDoesNotAllocate(t *testing.T) {
	dst := make([]Finding, 0, 64)
	if n := len(Scan(dst, allocText, "notes")); n < 18 {
		t.Fatalf("only %d findings: %q", n, found(string(allocText), "notes"))
	}
	for _, hint := range []string{"", "notes", "customer_api_token", "phone"} {
		if n := testing.AllocsPerRun(100, func() { dst = Scan(dst[:0], allocText, hint) }); n != 0 {
			t.Errorf("Scan with hint %q: %v allocations", hint, n)
		}
		if n := testing.AllocsPerRun(100, func() { Contains(allocText, hint) }); n != 0 {
			t.Errorf("Contains with hint %q: %v allocations", hint, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ClassOfName("shippingAddressLine2") }); n != 0 {
		t.Errorf("ClassOfName: %v allocations", n)
	}
}

// TestHugeInputs checks that inputs built to make a scanner go back over
// what it has read still take linear time.
func TestHugeInputs(t *testing.T) {
	const size = 1 << 20
	for name, unit := range map[string]string{
		"pem-without-end": "-----BEGIN RSA PRIVATE KEY-----\n",
		"at-signs":        "a.b@",
		"local-parts":     strings.Repeat("a", 60) + "@x.",
		"dotted":          "1.1.1.1.",
		"digits":          "1 2-3.4/",
		"base64-slashes":  "abc/",
		"keys":            `"password":`,
		"url":             "http://a:b",
		"jwt-headers":     "eyJhbGciOiJIUzI1NiJ9.",
		"ipv6-ish":        "1:2:3:",
		"invalid-utf8":    "\xff\xfe\x80@\xc0.",
		"gitlab":          "glpat-",
		"slack":           "xoxb-",
		"anthropic":       "sk-ant-",
		"openai":          "sk-proj-",
		"stripe":          "sk_live_",
		"stripe-webhook":  "whsec_",
		"github":          "github_pat_",
		"github-classic":  "ghp_",
		"gcp":             "AIza-",
		"argon2":          "$argon2$",
		"django":          "pbkdf2_sha256$",
		"slack-hook":      "hooks.slack.com/services/",
		"jwt-dashes":      "eyJ-",
		"bearer":          "Bearer ",
		"aws-pairs":       "AKIAIOSFODNN7EXAMPLE ",
	} {
		text := bytes.Repeat([]byte(unit), size/len(unit))
		start := time.Now()
		Scan(nil, text, "api_token")
		d := time.Since(start)
		t.Logf("%s: %v", name, d)
		if d > 2*time.Second {
			t.Errorf("%s: 1 MiB took %v", name, d)
		}
	}
}

func TestDetectors(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Detectors {
		if seen[d.Name] || !d.Class.Valid() {
			t.Errorf("detector %+v: duplicate or invalid class", d)
		}
		seen[d.Name] = true
	}
	for _, name := range []string{"email", "card", "iban", "us_ssn", "uk_nino", "uk_nhs", "es_nif", "in_aadhaar",
		"ca_sin", "ipv4", "ipv6", "jwt", "private_key", "aws_access_key", "aws_secret_key", "gcp_api_key",
		"github_token", "gitlab_token", "slack_token", "slack_webhook", "stripe_key", "openai_key",
		"anthropic_key", "bearer_token", "url_credentials", "password_hash", "high_entropy", "phone"} {
		if !seen[name] {
			t.Errorf("detector %q missing", name)
		}
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range Classes {
		if got, err := ParseClass(string(c)); got != c || err != nil {
			t.Errorf("ParseClass(%q) = %q, %v", c, got, err)
		}
	}
	_, err := ParseClass("Email")
	if err == nil || !strings.Contains(err.Error(), "email, phone, person_name") {
		t.Errorf("ParseClass(Email) error = %v", err)
	}
	if len(Classes) != 10 {
		t.Errorf("%d classes", len(Classes))
	}
}
