// Package detect says what sensitive data looks like: it finds sensitive
// values inside text (Scan, Contains) and tells what a column name
// suggests (ClassOfName). The masking layer uses both: names classify
// columns from the catalog, and content scanning catches what names miss —
// a card number in a notes column, a password in a JSON document, values
// under an alias or inside an expression.
//
// It is pure Go and depends on no other dbward package.
//
// # What it finds
//
// Every Finding has a Class (Classes) and the Detector that found it
// (Detectors):
//
//   - contact: e-mail addresses (a top-level domain in ICANN's root zone,
//     RFC 5321 length limits) and phone numbers (E.164 with a country code
//     zone, North American and trunk-0 national formats, bare digits only
//     under a phone hint);
//   - payment: card numbers (Luhn and a scheme's prefix and length) and
//     IBANs (the registry's country lengths and the mod-97 check);
//   - national ids: US SSN, Canadian SIN (Luhn), UK NHS number (mod 11),
//     UK National Insurance number (HMRC's prefix rules), Spanish DNI/NIE
//     (mod-23 letter) and Aadhaar (Verhoeff);
//   - network: IPv4 (octets, not versions or OIDs) and IPv6 (net/netip);
//   - secrets: JWTs (a header that decodes to JSON with "alg"), PEM private
//     keys, AWS, GCP, GitHub, GitLab, Slack, Stripe, OpenAI and Anthropic
//     keys by their documented forms, Bearer and Basic credentials,
//     passwords in URLs, crypt(3) and Django password hashes, and
//     high-entropy tokens where the context says secret;
//   - values under keys in the text (key=value, "key": "value"): a
//     password key's value whatever it is, a name or address key's value,
//     and other keys acting as a hint for their value ("ssn": "123456789");
//   - dates of birth, under a date-of-birth hint or key.
//
// Person names and postal addresses have no form to recognise: they are
// found only by their keys, and otherwise classified by column name.
//
// # How
//
// Every format whose issuer publishes a check is checked, so ids of the
// same shape stay clear: a 16-digit order number failing Luhn is not a
// card, GB82 WEST 1234 5698 7654 33 is not an IBAN, 000-12-3456 is not an
// SSN. Digit runs that carry no check or a weak one (bare 9-, 10- or
// 12-digit numbers, a random-looking token) count only with context: a
// hint (usually the column name, prepared once with NewHint) or a key
// before the value. Findings are tight: the value, not the keyword before
// it, and a URL's password, not the URL.
//
// Scan is one forward pass, hand-written; no regular expressions. A value
// is looked for where it can begin: at the start of a word (a run of ASCII
// letters and digits), by its first bytes; at + ( $ - (phone numbers,
// password hashes, PEM blocks); at '@' (e-mail addresses, whose local part
// is read backwards); and at ':' or '=' (keys, "::" IPv6). Most words
// begin no format and are skipped whole by a table lookup; a digit run is
// grouped once (numbers.go) and each numeric format judges the groups.
// Where several detectors match at one start the longest wins, and a
// checksummed id wins a tie with a phone number unless the hint says
// phone. Each finding starts after the last one ended, so findings come
// out in order and never overlap.
//
// Time is linear in the text. Look-behind is bounded (64 bytes for an
// e-mail's local part or a key); look-ahead is bounded per format (64
// or 512 bytes for a key's value, 255 for most vendor tokens, 4 KiB for a
// bearer token), or, for runs that may be long (PEM bodies, entropy tokens, JWT
// parts), read only from where the run begins or remembered once read;
// TestHugeInputs feeds 1 MiB inputs built to defeat this. Bytes outside
// ASCII, including invalid UTF-8, separate words (an e-mail's local part
// may hold them).
//
// Scan appends to the caller's slice and keeps all its state on the
// stack: with room in dst it does not allocate (TestScanDoesNotAllocate),
// and FuzzScan checks its invariants on any input.
//
// The files hold one concern each: scan.go (the pass, hints, overlap),
// numbers.go (digit groups), cards.go, iban.go, national.go, contact.go
// (e-mail, phone), network.go (IP), secrets.go (formatted credentials),
// entropy.go (random-looking tokens), keyvalue.go (keys in text), dates.go,
// checksum.go, names.go (ClassOfName and hints) and tlds.go (the root
// zone).
//
// # Speed
//
// Best of three runs of BenchmarkScan and BenchmarkDetector on the
// development machine (2 vCPUs shared with other benchmarks, so single
// runs vary by up to 2x); no run allocates:
//
//   - 100 bytes of clean prose with a date, a time and a price: ~240 ns;
//   - 4 KiB of clean prose: ~770 MB/s (~430 MB/s under a secret hint);
//   - a 330-byte JSON row with an e-mail, a card and a phone number:
//     ~250 MB/s (each key is judged as a name, ~20 ns);
//   - one value in 130 bytes of filler, per detector: 410-770 MB/s, PEM
//     blocks ~1.6 GB/s, high-entropy tokens ~270 MB/s;
//   - ClassOfName: ~50 ns a name.
package detect
