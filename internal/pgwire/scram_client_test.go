package pgwire

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
)

// clientProof computes a SCRAM-SHA-256 ClientProof as a client would.
func clientProof(password string, salt []byte, authMessage string) string {
	salted, _ := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := hmacSHA256(stored[:], authMessage)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	return base64.StdEncoding.EncodeToString(proof)
}
