package pgwire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: the user name
// in the client-first message is ignored (the startup packet names the
// user), and channel binding is not offered.

const (
	scramMechanism  = "SCRAM-SHA-256"
	scramIterations = 4096
)

var errSCRAM = errors.New("SCRAM exchange failed")

// scramKeys are what a server stores for one secret: never the secret.
type scramKeys struct {
	salt                 []byte
	storedKey, serverKey []byte
}

func deriveSCRAMKeys(secret string, salt []byte) scramKeys {
	salted, err := pbkdf2.Key(sha256.New, secret, salt, scramIterations, sha256.Size)
	if err != nil {
		panic("BUG: pbkdf2: " + err.Error())
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return scramKeys{salt: salt, storedKey: stored[:], serverKey: hmacSHA256(salted, "Server Key")}
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// scramKeyCache derives each identity's keys once (PBKDF2 is deliberately
// slow) with a salt chosen at process start. Unknown names get keys of a
// random secret, so the exchange looks the same and fails at the proof.
type scramKeyCache struct {
	mu   sync.Mutex
	keys map[string]scramKeys
}

func (c *scramKeyCache) get(name, secret string) scramKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.keys[name]; ok {
		return k
	}
	if c.keys == nil {
		c.keys = map[string]scramKeys{}
	}
	if secret == "" {
		secret = rand.Text()
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	k := deriveSCRAMKeys(secret, salt)
	c.keys[name] = k
	return k
}

// scramServer runs one exchange.
type scramServer struct {
	keys            scramKeys
	clientFirstBare string
	serverFirst     string
	nonce           string
}

// first takes client-first-message and returns server-first-message.
func (s *scramServer) first(clientFirst string) (string, error) {
	// gs2-header: "n,," or "y,," (client supports binding, server did not offer it).
	var rest string
	switch {
	case strings.HasPrefix(clientFirst, "n,,"), strings.HasPrefix(clientFirst, "y,,"):
		rest = clientFirst[3:]
	default:
		return "", errSCRAM
	}
	s.clientFirstBare = rest
	var clientNonce string
	for _, attr := range strings.Split(rest, ",") {
		if strings.HasPrefix(attr, "r=") {
			clientNonce = attr[2:]
		}
	}
	if clientNonce == "" || strings.ContainsAny(clientNonce, ", ") {
		return "", errSCRAM
	}
	s.nonce = clientNonce + rand.Text()
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.keys.salt) +
		",i=" + strconv.Itoa(scramIterations)
	return s.serverFirst, nil
}

// final takes client-final-message and returns server-final-message when
// the proof is right.
func (s *scramServer) final(clientFinal string) (string, error) {
	i := strings.LastIndex(clientFinal, ",p=")
	if i < 0 {
		return "", errSCRAM
	}
	withoutProof, proofB64 := clientFinal[:i], clientFinal[i+3:]
	var channel, nonce string
	for _, attr := range strings.Split(withoutProof, ",") {
		switch {
		case strings.HasPrefix(attr, "c="):
			channel = attr[2:]
		case strings.HasPrefix(attr, "r="):
			nonce = attr[2:]
		}
	}
	// "biws" is base64("n,,"), "eSws" is base64("y,,").
	if (channel != "biws" && channel != "eSws") || subtle.ConstantTimeCompare([]byte(nonce), []byte(s.nonce)) != 1 {
		return "", errSCRAM
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) != sha256.Size {
		return "", errSCRAM
	}
	authMessage := s.clientFirstBare + "," + s.serverFirst + "," + withoutProof
	clientSig := hmacSHA256(s.keys.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for j := range clientKey {
		clientKey[j] = proof[j] ^ clientSig[j]
	}
	got := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(got[:], s.keys.storedKey) != 1 {
		return "", errSCRAM
	}
	return "v=" + base64.StdEncoding.EncodeToString(hmacSHA256(s.keys.serverKey, authMessage)), nil
}
