package detect

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// Credentials with a recognisable form: vendor tokens by their documented
// prefixes and lengths, JWTs, PEM private keys, Authorization header
// values, passwords in URLs and password hashes.

// letters finds the values that begin with the word t[i:j] whose first
// byte is a letter. A value that does not start at i (a URL's password, a
// bearer token) is recorded here, and ok is true with where scanning goes
// on; otherwise candidates starting at i go into b.
func (s *scanner) letters(i, j int, h hintFlags, b *best) (next int, ok bool) {
	t := s.text
	if j+3 <= len(t) && t[j] == ':' && t[j+1] == '/' && t[j+2] == '/' {
		return s.url(i, j), true
	}
	switch t[i] {
	case 'A':
		if e := awsKeyAt(t, i, j); e > 0 {
			b.consider(e, dAWSAccessKey)
		} else if hasPrefix(t[i:], "AIza") && !inToken(t, i, "_-") {
			if e := exactRun(t, i+4, 35, cAlnum, "_-"); e > 0 {
				b.consider(e, dGCPAPIKey)
			}
		}
	case 'e':
		if e := jwtAt(t, i); e > 0 {
			b.consider(e, dJWT)
		}
	case 'g':
		s.gitTokens(i, b)
	case 'x':
		// Slack: xoxb- (bot), xoxp- (user), xoxa-, xoxo-, xoxr-, xoxs-,
		// xoxe- and xoxe.xoxp- (refresh), xapp- (app-level).
		if ((hasPrefix(t[i:], "xox") && i+4 < len(t) && strings.IndexByte("abposre", t[i+3]) >= 0 &&
			(t[i+4] == '-' || t[i+4] == '.')) || hasPrefix(t[i:], "xapp-")) && !inToken(t, i, "-.") {
			if e := minRun(t, i+5, 10, maxToken, cAlnum, "-."); e > 0 {
				b.consider(trimDots(t, i, e), dSlackToken)
			}
		}
	case 's', 'r':
		s.keyTokens(i, b)
	case 'w':
		if hasPrefix(t[i:], "whsec_") { // a Stripe webhook signing secret
			if e := minRun(t, i+6, 24, maxToken, cAlnum, ""); e > 0 {
				b.consider(e, dStripeKey)
			}
		}
	case 'h':
		if hasPrefix(t[i:], slackHooks) && !inToken(t, i, "/_-.") {
			if e := slackWebhookEnd(t, i+len(slackHooks)); e > 0 {
				b.consider(e, dSlackWebhook)
			}
		}
	case 'p':
		// Django's hashers: pbkdf2_sha256$iterations$salt$hash.
		if hasPrefix(t[i:], "pbkdf2_sha") && !inToken(t, i, cryptExtra) {
			if e := cryptEnd(t, i, 40, 3); e > 0 {
				b.consider(e, dPasswordHash)
			}
		}
	case 'B', 'b':
		if e, ok := s.authorization(i, j); ok {
			return e, true
		}
	}
	if isUpper(t[i]) {
		if e := ibanAt(t, i); e > 0 {
			b.consider(e, dIBAN)
		}
		if e := ninoAt(t, i, h); e > 0 {
			b.consider(e, dUKNINO)
		}
		if e := nieAt(t, i, j); e > 0 {
			b.consider(e, dESNIF)
		}
	}
	return 0, false
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// inRun reports whether c is of the byte classes or one of extra.
func inRun(c byte, classes uint8, extra string) bool {
	return charClass[c]&classes != 0 || (extra != "" && strings.IndexByte(extra, c) >= 0)
}

// runEnd returns the end of the run of bytes from i that are of the byte
// classes or in extra.
func runEnd(t []byte, i int, classes uint8, extra string) int {
	for i < len(t) && inRun(t[i], classes, extra) {
		i++
	}
	return i
}

// runEndMax is runEnd looking at most max+1 bytes: a run longer than max
// ends at i+max+1.
func runEndMax(t []byte, i, max int, classes uint8, extra string) int {
	end := min(len(t), i+max+1)
	for i < end && inRun(t[i], classes, extra) {
		i++
	}
	return i
}

// minRun returns the end of such a run from i if it is n to max long,
// else -1.
func minRun(t []byte, i, n, max int, classes uint8, extra string) int {
	if e := runEndMax(t, i, max, classes, extra); e-i >= n && e-i <= max {
		return e
	}
	return -1
}

// exactRun returns the end of such a run from i if it is exactly n long,
// else -1.
func exactRun(t []byte, i, n int, classes uint8, extra string) int {
	if e := runEndMax(t, i, n, classes, extra); e-i == n {
		return e
	}
	return -1
}

// inToken reports whether the byte before i is one of extra: a token of
// letters, digits and extra would then begin before i, not at i. Vendor
// tokens are looked for only where their run of characters begins, which
// keeps the scan linear ("glpat-glpat-…" is one run, read once).
func inToken(t []byte, i int, extra string) bool {
	return i > 0 && strings.IndexByte(extra, t[i-1]) >= 0
}

// maxToken bounds the vendor tokens' lengths.
const maxToken = 255

// trimDots drops '.' and '-' that end the run t[i:e] (sentence
// punctuation after a token).
func trimDots(t []byte, i, e int) int {
	for e > i && (t[e-1] == '.' || t[e-1] == '-') {
		e--
	}
	return e
}

// awsKeyAt returns the end of an AWS access key id, the word t[i:j]: AKIA
// (long-term), ASIA (temporary), ABIA or ACCA, then 16 base32 letters and
// digits. Or -1.
func awsKeyAt(t []byte, i, j int) int {
	if j-i != 20 {
		return -1
	}
	switch string(t[i : i+4]) {
	case "AKIA", "ASIA", "ABIA", "ACCA":
	default:
		return -1
	}
	for _, c := range t[i+4 : j] {
		if !isUpper(c) && (c < '2' || c > '7') {
			return -1
		}
	}
	return j
}

// awsKeyNear reports whether an AWS access key id ended shortly before i,
// so that a 40-character token at i is its secret key.
func (s *scanner) awsKeyNear(i int) bool {
	return s.awsKeyEnd > 0 && i-s.awsKeyEnd <= 256
}

// gitTokens finds GitHub and GitLab tokens at i.
func (s *scanner) gitTokens(i int, b *best) {
	t := s.text
	switch {
	case hasPrefix(t[i:], "gh") && i+4 < len(t) && t[i+3] == '_' && strings.IndexByte("pousr", t[i+2]) >= 0:
		// ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_
		// (server-to-server), ghr_ (refresh): 36 letters and digits.
		if e := minRun(t, i+4, 36, maxToken-4, cAlnum, ""); e > 0 {
			b.consider(e, dGitHubToken)
		}
	case hasPrefix(t[i:], "github_pat_") && !inToken(t, i, "_"): // fine-grained personal access token
		if e := minRun(t, i+11, 30, maxToken, cAlnum, "_"); e > 0 {
			b.consider(e, dGitHubToken)
		}
	case hasPrefix(t[i:], "gl") && !inToken(t, i, "_-."):
		for _, p := range gitlabPrefixes {
			if hasPrefix(t[i:], p) {
				if e := minRun(t, i+len(p), 20, maxToken, cAlnum, "_-."); e > 0 {
					b.consider(trimDots(t, i, e), dGitLabToken)
				}
				return
			}
		}
	}
}

// gitlabPrefixes are GitLab's token prefixes: personal, pipeline trigger,
// runner, deploy, feed, OAuth application secret, CI/CD job tokens.
var gitlabPrefixes = []string{"glpat-", "glptt-", "glrt-", "gldt-", "glft-", "gloas-", "glcbt-"}

// keyTokens finds Stripe, OpenAI and Anthropic keys at i.
func (s *scanner) keyTokens(i int, b *best) {
	t := s.text
	if inToken(t, i, "_-") {
		return
	}
	switch {
	case hasPrefix(t[i:], "sk_live_"), hasPrefix(t[i:], "sk_test_"),
		hasPrefix(t[i:], "rk_live_"), hasPrefix(t[i:], "rk_test_"):
		// Stripe secret and restricted keys (not pk_, publishable).
		if e := minRun(t, i+8, 10, maxToken, cAlnum, ""); e > 0 {
			b.consider(e, dStripeKey)
		}
	case hasPrefix(t[i:], "sk-ant-"):
		if e := minRun(t, i+7, 32, 2*maxToken, cAlnum, "_-"); e > 0 {
			b.consider(e, dAnthropicKey)
		}
	case hasPrefix(t[i:], "sk-"):
		e := runEndMax(t, i+3, 2*maxToken, cAlnum, "_-")
		tok := t[i+3 : e]
		if len(tok) > 2*maxToken {
			return
		}
		switch {
		case hasPrefix(tok, "proj-"), hasPrefix(tok, "svcacct-"), hasPrefix(tok, "admin-"), hasPrefix(tok, "None-"):
			if len(tok) >= 28 {
				b.consider(e, dOpenAIKey)
			}
		case len(tok) == 48 || (len(tok) >= 40 && bytes.Contains(tok, openAIMark)):
			// The legacy form: 48 characters, "T3BlbkFJ" (base64 of
			// "OpenAI") in the middle.
			b.consider(e, dOpenAIKey)
		case len(tok) >= 32 && secretLike(tok):
			b.consider(e, dHighEntropy)
		}
	}
}

const slackHooks = "hooks.slack.com/services/"

// slackWebhookEnd returns the end of a Slack incoming-webhook path that
// starts at i (T…/B…/secret), or -1.
func slackWebhookEnd(t []byte, i int) int {
	if e := minRun(t, i, 20, maxToken, cAlnum, "/_-"); e > 0 && bytes.Count(t[i:e], slash) >= 2 {
		return e
	}
	return -1
}

// url looks at the URL whose scheme ends with the word t[i:j] (t[j:] is
// "://"): a Slack webhook URL is a secret whole; otherwise only the
// password of user:password@ in its authority is. It returns where
// scanning goes on: inside the authority if there is no password, so that
// a token used as a user name is still found.
func (s *scanner) url(i, j int) int {
	t := s.text
	hs := j + 3
	if hasPrefix(t[hs:], slackHooks) {
		if e := slackWebhookEnd(t, hs+len(slackHooks)); e > 0 {
			s.emit(i, e, dSlackWebhook)
			return e
		}
	}
	ae, at := hs, -1
	for ae < len(t) && ae-hs < 512 {
		c := t[ae]
		if c == '/' || c == '?' || c == '#' || c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`' {
			break
		}
		if c == '@' {
			at = ae
		}
		ae++
	}
	if at < 0 {
		return hs
	}
	colon := bytes.IndexByte(t[hs:at], ':')
	if colon < 0 {
		s.userAt = at // user@host: not an e-mail address
		return hs
	}
	ps := hs + colon + 1
	if placeholder(t[ps:at]) {
		return hs
	}
	s.emit(ps, at, dURLCreds)
	return at
}

// authorization finds the credentials after an HTTP authentication scheme,
// the word t[i:j]: "Bearer <token>" (RFC 6750: a token68 of 16 or more
// characters with a digit in it, so prose like "bearer bonds" is not one;
// a JWT is reported as such) and "Basic <base64 of user:password>".
func (s *scanner) authorization(i, j int) (int, bool) {
	t := s.text
	bearer := j-i == 6 && string(lowerWord(t[i:j])) == "bearer"
	if !bearer && (j-i != 5 || string(lowerWord(t[i:j])) != "basic") {
		return 0, false
	}
	ts := j
	for ts < len(t) && ts-j < 8 && t[ts] == ' ' {
		ts++
	}
	if ts == j || ts == len(t) {
		return 0, false
	}
	te := runEndMax(t, ts, 4096, cAlnum, "-._~+/")
	for te < len(t) && t[te] == '=' {
		te++
	}
	if te < len(t) && inRun(t[te], cAlnum, "-._~+/=") {
		return 0, false
	}
	if bearer {
		if e := jwtAt(t, ts); e == te {
			s.emit(ts, te, dJWT)
			return te, true
		}
		if te-ts < 16 || bytes.IndexAny(t[ts:te], "0123456789") < 0 {
			return 0, false
		}
		s.emit(ts, te, dBearerToken)
		return te, true
	}
	if !basicCredentials(t[ts:te]) {
		return 0, false
	}
	s.emit(ts, te, dBasicAuth)
	return te, true
}

// lowerWord returns a short word in lower case (in a fixed buffer).
func lowerWord(w []byte) []byte {
	var buf [8]byte
	n := copy(buf[:], w)
	for k := range n {
		buf[k] = lower(buf[k])
	}
	return buf[:n]
}

// basicCredentials reports whether b is base64 of "user:password".
func basicCredentials(b []byte) bool {
	var buf [192]byte
	if len(b) < 8 || len(b) > 256 || len(b)%4 != 0 {
		return false
	}
	for k, c := range b {
		if charClass[c]&cAlnum == 0 && c != '+' && c != '/' && (c != '=' || k < len(b)-2 || b[len(b)-1] != '=') {
			return false
		}
	}
	n, err := base64.StdEncoding.Decode(buf[:], b)
	if err != nil {
		return false
	}
	colon := bytes.IndexByte(buf[:n], ':')
	if colon < 1 || colon == n-1 {
		return false
	}
	for _, c := range buf[:n] {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// jwtAt returns the end of the JSON Web Token at i, or -1: three
// base64url parts joined by dots (the signature may be empty, as in an
// unsecured JWT), the first decoding to a JSON object with an "alg".
func jwtAt(t []byte, i int) int {
	if !hasPrefix(t[i:], "eyJ") {
		return -1
	}
	if i > 0 && (inRun(t[i-1], cAlnum, "-_.")) {
		return -1
	}
	he := runEndMax(t, i, 1024, cAlnum, "-_")
	if he-i < 16 || he-i > 1024 || he+1 >= len(t) || t[he] != '.' || (he-i)%4 == 1 {
		return -1
	}
	var buf [768]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], t[i:he])
	if err != nil {
		return -1
	}
	header := bytes.TrimSpace(buf[:n])
	if len(header) < 2 || header[0] != '{' || !bytes.Contains(header, algKey) {
		return -1
	}
	pe := runEnd(t, he+1, cAlnum, "-_")
	if pe-he-1 < 2 || pe >= len(t) || t[pe] != '.' {
		return -1
	}
	se := runEnd(t, pe+1, cAlnum, "-_")
	if se < len(t) && (t[se] == '=' || t[se] == '+' || t[se] == '/') {
		return -1
	}
	return se
}

var (
	slash           = []byte("/")
	dollar          = []byte("$")
	algKey          = []byte(`"alg"`)
	openAIMark      = []byte("T3BlbkFJ")
	privateKey      = []byte("PRIVATE KEY")
	privateKeyBlock = []byte("PRIVATE KEY BLOCK")
	pemBegin        = []byte("-----BEGIN ")
	pemEnd          = []byte("-----END ")
	pemDash         = []byte("-----")
)

// pem finds the PEM private key block at i ("-----BEGIN … PRIVATE
// KEY-----" through its END line; to the end of its base64 body if the END
// line is missing) and returns where scanning goes on.
func (s *scanner) pem(i int) int {
	t := s.text
	if !bytes.HasPrefix(t[i:], pemBegin) {
		return i + 1
	}
	ls := i + len(pemBegin)
	le := bytes.Index(t[ls:min(len(t), ls+64)], pemDash)
	if le < 0 {
		return i + 1
	}
	label := t[ls : ls+le]
	if !bytes.HasSuffix(label, privateKey) && !bytes.HasSuffix(label, privateKeyBlock) {
		return ls + le
	}
	body := ls + le + len(pemDash)
	end := -1
	if k := s.pemEndAfter(body); k >= 0 {
		if d := bytes.Index(t[k+len(pemEnd):min(len(t), k+len(pemEnd)+64)], pemDash); d >= 0 {
			end = k + len(pemEnd) + d + len(pemDash)
		}
	}
	if end < 0 {
		end = runEnd(t, body, cAlnum, "+/=\\ \t\r\n:,.")
		for end > body && charClass[t[end-1]]&cAlnum == 0 && t[end-1] != '=' {
			end--
		}
	}
	s.emit(i, end, dPrivateKey)
	return end
}

// pemEndAfter returns the index of the first "-----END " at or after from,
// or -1. It remembers its last answer, so that many BEGIN lines without
// END lines cost one search, not one each.
func (s *scanner) pemEndAfter(from int) int {
	if s.pemEndFrom >= 0 && s.pemEndFrom <= from && (s.pemEnd < 0 || s.pemEnd >= from) {
		return s.pemEnd
	}
	s.pemEndFrom = from
	s.pemEnd = bytes.Index(s.text[from:], pemEnd)
	if s.pemEnd >= 0 {
		s.pemEnd += from
	}
	return s.pemEnd
}

// passwordHash finds the crypt(3)-style password hash at the '$' at i and
// returns where scanning goes on: bcrypt ($2a$, $2b$, $2x$, $2y$: cost,
// 22 characters of salt and 31 of hash), Argon2 ($argon2id$v=19$m=…),
// SHA-crypt ($5$, $6$), MD5-crypt ($1$), yescrypt ($y$, $gy$), scrypt ($7$,
// $scrypt$) and passlib's $pbkdf2-…$.
func (s *scanner) passwordHash(i int) int {
	t := s.text
	if i > 0 && (isAlnum(t[i-1]) || strings.IndexByte("$./+-_", t[i-1]) >= 0) {
		return i + 1 // inside a longer run ('=' and ',' may precede a hash: hash=$2b$…)
	}
	e := hashAt(t, i)
	if e < 0 {
		return i + 1
	}
	s.emit(i, e, dPasswordHash)
	return e
}

// hashAt returns the end of the password hash at the '$' at i, or -1.
func hashAt(t []byte, i int) int {
	if i+4 > len(t) || t[i] != '$' {
		return -1
	}
	switch {
	case t[i+1] == '2' && strings.IndexByte("abxy", t[i+2]) >= 0 && t[i+3] == '$':
		if i+60 <= len(t) && isDigit(t[i+4]) && isDigit(t[i+5]) && t[i+6] == '$' {
			// 60 bytes; one more '.' may end a sentence.
			if e := runEnd(t, i+7, cAlnum, "./"); e == i+60 || (e == i+61 && t[i+60] == '.') {
				return i + 60
			}
		}
	case hasPrefix(t[i:], "$argon2"), hasPrefix(t[i:], "$pbkdf2"), hasPrefix(t[i:], "$scrypt$"):
		return cryptEnd(t, i, 40, 4)
	case t[i+2] == '$' && strings.IndexByte("1567y", t[i+1]) >= 0, hasPrefix(t[i:], "$gy$"):
		return cryptEnd(t, i, 26, 3)
	}
	return -1
}

// cryptExtra is what a hash in modular crypt form holds besides letters
// and digits.
const cryptExtra = "$=,./+-_"

// cryptEnd returns the end of a hash in modular crypt form at i: a run of
// base64 letters, digits, $ = , . / + - _ of minLen to 512 bytes with at
// least dollars '$' in it, whose last $-field is 16 or more long. Or -1.
func cryptEnd(t []byte, i, minLen, dollars int) int {
	e := runEndMax(t, i, 512, cAlnum, cryptExtra)
	for e > i && (t[e-1] == '.' || t[e-1] == ',') {
		e--
	}
	last := bytes.LastIndexByte(t[i:e], '$')
	if e-i < minLen || e-i > 512 || bytes.Count(t[i:e], dollar) < dollars || last < 0 || e-i-last-1 < 16 {
		return -1
	}
	return e
}
