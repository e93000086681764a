package detect

import (
	"strings"
	"testing"
)

const (
	jwtHS256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	jwtNone  = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."
	pemRSA   = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----"
	bcrypt   = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
	sha512   = "$6$rounds=5000$saltsaltsaltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"
	argon2   = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
	awsKey   = "AKIAIOSFODNN7EXAMPLE" // AWS's documented example
	awsSec   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestTokens(t *testing.T) {
	runCases(t, []scanCase{
		tc("key "+awsKey+".", "aws_access_key="+awsKey),
		tc("ASIAY34FZKBOKMUTVV7A", "aws_access_key=ASIAY34FZKBOKMUTVV7A"),
		tc("AKIAIOSFODNN7EXAMPL"),   // 19 characters
		tc("AKIAIOSFODNN7EXAMPLE1"), // 21
		tc("AKIAIOSFODNN7EXAMP1E"),  // '1' is not base32
		tc("AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUvW", "gcp_api_key=AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUvW"),
		tc("AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUv"), // 34 after AIza
		tc("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
		tc("token=gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789;", "github_token=gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		tc("github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678",
			"github_token=github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"),
		tc("ghp_short"),
		tc("ghx_abcdefghijklmnopqrstuvwxyz0123456789"),
		tc("glpat-xYz12AbCdEfGhIjKlMnO.", "gitlab_token=glpat-xYz12AbCdEfGhIjKlMnO"),
		tc("glrt-abcdefghijklmnopqrst", "gitlab_token=glrt-abcdefghijklmnopqrst"),
		tc("glpat-short"),
		tc("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"),
		tc("xoxp-12345-67890", "slack_token=xoxp-12345-67890"),
		tc("xapp-1-A0123456789-1234", "slack_token=xapp-1-A0123456789-1234"),
		tc("xoxz-1234567890-abc"),
		tc("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
			"slack_webhook=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
		tc("hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
			"slack_webhook=hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
		tc("https://hooks.slack.com/services/"),
		tc("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
		tc("rk_test_51H8abcdEFGH", "stripe_key=rk_test_51H8abcdEFGH"),
		tc("whsec_abcdefghijklmnopqrstuvwxyz012345", "stripe_key=whsec_abcdefghijklmnopqrstuvwxyz012345"),
		tc("pk_live_4eC39HqLyjWDarjtT1zdp7dc"), // publishable
		tc("sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "openai_key=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
		tc("sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst", "openai_key=sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst"),
		tc("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdef", "anthropic_key=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdef"),
		tc("sk-9fK2mQ7xL4pR8vT1wZ6yB3nC5hJ0dG2s", "high_entropy=sk-9fK2mQ7xL4pR8vT1wZ6yB3nC5hJ0dG2s"),
		tc("sk-short"),
		tc("sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	})
}

func TestStructuredSecrets(t *testing.T) {
	runCases(t, []scanCase{
		tc("jwt "+jwtHS256+" end", "jwt="+jwtHS256),
		tc(jwtNone, "jwt="+jwtNone),
		tc("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.abc"),     // header without "alg"
		tc("eyJhbGciOiJIUzI1NiJ9"),                       // header alone
		tc("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.x.sig"), // one-byte payload
		tc(pemRSA, "private_key="+pemRSA),
		tc(`"`+strings.ReplaceAll(pemRSA, "\n", `\n`)+`"`, "private_key="+strings.ReplaceAll(pemRSA, "\n", `\n`)),
		tc("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
			"private_key=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), // END line cut off
		tc("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----"),
		tc("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----"),
		tc("Authorization: Bearer "+jwtHS256, "jwt="+jwtHS256),
		tc("Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA", "bearer_token=2YotnFZFEjr1zCsicMWpAA"),
		tc("authorization: bearer mF_9.B5f-4.1JqM0Xz", "bearer_token=mF_9.B5f-4.1JqM0Xz"),
		tc("the bearer of bad news"),
		tc("Bearer tokenwithoutdigits"),
		tc("Bearer abc123"),
		tc("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "basic_auth=YWxhZGRpbjpvcGVuc2VzYW1l"),
		tc("Basic anVzdHRleHQ="), // no ':' inside
		tc("basic training"),
		tc("postgres://admin:s3cret@db.example.com:5432/app", "url_credentials=s3cret"),
		tc("https://x-access-token:p%40ss@github.com/o/r.git", "url_credentials=p%40ss"),
		tc("redis://:hunter2@cache:6379", "url_credentials=hunter2"),
		tc("mongodb+srv://user:pa:ss@cluster0.example.net/db", "url_credentials=pa:ss"),
		tc("https://user@example.com/path"),         // no password
		tc("https://example.com:8443/a@b"),          // '@' in the path
		tc("postgres://user:${DB_PASSWORD}@db/app"), // a placeholder
		tc("postgres://user:****@db/app"),           // redacted
		tc("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r", "github_token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
		tc("hash "+bcrypt+".", "password_hash="+bcrypt),
		tc(sha512, "password_hash="+sha512),
		tc(argon2, "password_hash="+argon2),
		tc("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "password_hash=$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"),
		tc("pbkdf2_sha256$600000$c2FsdHNhbHQ$Q2hlY2tpbmdUaGVIYXNoVmFsdWVIZXJlMTIzNDU2Nzg5MA=",
			"password_hash=pbkdf2_sha256$600000$c2FsdHNhbHQ$Q2hlY2tpbmdUaGVIYXNoVmFsdWVIZXJlMTIzNDU2Nzg5MA="),
		tc("$2b$12$tooShort"),
		tc("costs $5$ each"),
		tc("US$6$ and $1,000"),
	})
}

func TestHighEntropy(t *testing.T) {
	const tok = "q8H2kLz9Xw4Rt7Vb1Nm3Pc6Yd"
	const sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	runCases(t, []scanCase{
		// Context: a secret hint, or a secret key before the value.
		tch(tok, "api_token", "high_entropy="+tok),
		tch("value: "+tok, "client_secret", "high_entropy="+tok),
		tc("api_key="+tok, "high_entropy="+tok),
		tc(`{"secret": "`+tok+`"}`, "high_entropy="+tok),
		tc("SECRET_KEY: "+tok, "high_entropy="+tok),
		tch(sha1, "webhook_secret", "high_entropy="+sha1),
		// An AWS secret key: by a key id, or an AWS hint or key.
		tc(awsKey+" "+awsSec, "aws_access_key="+awsKey, "aws_secret_key="+awsSec),
		tc("aws_secret_access_key = "+awsSec, "aws_secret_key="+awsSec),
		tch(awsSec, "aws_secret", "aws_secret_key="+awsSec),
		tch(awsSec, "secret", "high_entropy="+awsSec),

		// No context: random-looking is not enough.
		tc(tok),
		tc("commit " + sha1),
		tc(awsSec),
		tc("id 123e4567e89b12d3a456426614174000"),
		tc("token_count=" + tok), // the key is a count
		// Context, but not random-looking.
		tch("my_super_secret_password_value", "secret"),
		tch("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "token"),
		tch("short1", "token"),
		tch("abcdefghijklmnopqrstuvwxyz", "token"), // no digits
	})
}

func TestShannon(t *testing.T) {
	for s, want := range map[string]float64{"aaaa": 0, "ab": 1, "abcd": 2, "aabb": 1, "0123456789abcdef": 4} {
		if got := shannon([]byte(s)); got < want-1e-9 || got > want+1e-9 {
			t.Errorf("shannon(%q) = %v, want %v", s, got, want)
		}
	}
	long := strings.Repeat("ab", 100) // counts beyond the table
	if got := shannon([]byte(long)); got < 1-1e-9 || got > 1+1e-9 {
		t.Errorf("shannon(ab×100) = %v, want 1", got)
	}
}
