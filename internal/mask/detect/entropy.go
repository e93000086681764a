package detect

import "math"

// Secrets without a recognisable form: tokens of the base64, base64url or
// hex alphabets whose characters are spread like random ones. Random-
// looking tokens are everywhere (hashes, ids, UUIDs without dashes), so
// one is taken for a secret only with context: a secret hint, a secret key
// before it (api_key=…), or — for a 40-character token, an AWS secret key
// — an AWS hint or an AWS access key id shortly before.

// entropy looks for a secret token at the word start i.
func (s *scanner) entropy(i int, h hintFlags, b *best) {
	t := s.text
	if i > 0 && (t[i-1] == '+' || t[i-1] == '/' || t[i-1] == '-' || t[i-1] == '_') {
		return // inside a token that began earlier
	}
	j := runEnd(t, i, cB64, "")
	s.noEntropy = j
	if j-i < 20 || j-i > 1024 {
		return
	}
	tok := t[i:j]
	if j-i == 40 && (h&hAWS != 0 || s.awsKeyNear(i)) && awsSecretShape(tok) {
		b.consider(j, dAWSSecretKey)
		return
	}
	if h&hSecret != 0 && secretLike(tok) {
		b.consider(j, dHighEntropy)
	}
}

// awsSecretShape reports whether tok (40 bytes) reads as an AWS secret
// access key: base64 letters, digits, '+' and '/', with upper and lower
// case letters and digits, spread like random characters.
func awsSecretShape(tok []byte) bool {
	var up, lo, dig bool
	for _, c := range tok {
		switch k := charClass[c]; {
		case k&cUpper != 0:
			up = true
		case k&cLower != 0:
			lo = true
		case k&cDigit != 0:
			dig = true
		case c != '+' && c != '/':
			return false
		}
	}
	return up && lo && dig && shannon(tok) >= 4.0
}

// secretLike reports whether tok (20 or more bytes of cB64) looks random:
// it has letters and digits, and its Shannon entropy per character is at
// least 3.0 bits for hex (of at most 4) or, for other alphabets, 80% of
// the most that tok's length allows (log2 of the length, up to 5.17 bits
// for base64 tokens of 64 and more; random 20-character base64 scores
// about 4.0 of 4.32).
func secretLike(tok []byte) bool {
	for len(tok) > 0 && tok[len(tok)-1] == '=' {
		tok = tok[:len(tok)-1]
	}
	if len(tok) < 20 {
		return false
	}
	var letters, digits, nonHex int
	for _, c := range tok {
		switch k := charClass[c]; {
		case k&cDigit != 0:
			digits++
		case k&cHex != 0:
			letters++
		case k&(cUpper|cLower) != 0:
			letters++
			nonHex++
		default:
			nonHex++
		}
	}
	if letters == 0 || digits == 0 {
		return false
	}
	e := shannon(tok)
	if nonHex == 0 {
		return e >= 3.0
	}
	return e >= 0.8*math.Log2(float64(min(len(tok), 64)))
}

// shannon returns the Shannon entropy of tok's bytes, in bits per byte:
// log2(n) - sum(c·log2 c)/n over the counts c of its n bytes.
func shannon(tok []byte) float64 {
	var counts [256]uint16
	for _, c := range tok {
		counts[c]++
	}
	sum := 0.0
	for _, c := range counts {
		if c > 1 {
			if int(c) < len(cLog2c) {
				sum += cLog2c[c]
			} else {
				sum += float64(c) * math.Log2(float64(c))
			}
		}
	}
	n := float64(len(tok))
	return math.Log2(n) - sum/n
}

// cLog2c holds c·log2(c) for small counts.
var cLog2c = func() (t [64]float64) {
	for c := 1; c < len(t); c++ {
		t[c] = float64(c) * math.Log2(float64(c))
	}
	return t
}()
