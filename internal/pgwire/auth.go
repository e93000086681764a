package pgwire

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dbward/dbward/internal/identity"
)

// Authentication of the identity's token.
//
// SCRAM-SHA-256 is used whenever dbward knows the token in clear (token_env)
// and for unknown names (a decoy exchange that fails at the proof, so the
// name's existence is not revealed by the method). Identities configured by
// token_sha256 can only use cleartext password authentication, which dbward
// accepts only inside TLS or from a loopback address.

func badPassword(user string) *pgError {
	return fatal(codeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", user),
		"connect with your dbward identity as user= and its token as the password")
}

func (s *Server) authenticate(conn net.Conn, r *reader, user string, tlsOn bool) (identity.Identity, *pgError) {
	ids := s.opts.Identities
	id, known := ids.Lookup(user)
	token, scramOK := ids.SCRAMToken(user)
	if scramOK || !known {
		var keys scramKeys
		if scramOK {
			keys = s.scram.get(user, string(token))
		} else {
			keys = s.decoyKeys(user)
		}
		if perr := s.scramExchange(conn, r, keys, user); perr != nil {
			return identity.Identity{}, perr
		}
		if !known {
			// The decoy proof never matches; this keeps an unknown name
			// from logging in even if it someday did.
			return identity.Identity{}, badPassword(user)
		}
		return id, nil
	}
	if !tlsOn && !isLoopback(conn) {
		return identity.Identity{}, fatal(codeInvalidAuthorization,
			"dbward: password authentication is refused on an unencrypted connection",
			"connect with sslmode=require")
	}
	if _, err := conn.Write(mustEncode(&pgproto3.AuthenticationCleartextPassword{})); err != nil {
		return identity.Identity{}, gone
	}
	typ, raw, err := r.next()
	if err != nil || typ != 'p' {
		return identity.Identity{}, authReadError(err)
	}
	pw, _, ok := cstring(raw[5:])
	if !ok {
		return identity.Identity{}, fatal(codeProtocolViolation, "dbward: invalid password packet", "")
	}
	id, err = ids.VerifyToken(user, pw)
	if err != nil {
		return identity.Identity{}, badPassword(user)
	}
	return id, nil
}

// decoyKeys are SCRAM keys for a name dbward does not know: a salt that is
// stable per name (as a real one would be) and keys no token matches.
func (s *Server) decoyKeys(user string) scramKeys {
	s.decoyOnce.Do(func() { rand.Read(s.decoySecret[:]) })
	mac := hmac.New(sha256.New, s.decoySecret[:])
	mac.Write([]byte(user))
	sum := mac.Sum(nil)
	return scramKeys{salt: sum[:16], storedKey: sum, serverKey: sum}
}

func (s *Server) scramExchange(conn net.Conn, r *reader, keys scramKeys, user string) *pgError {
	if _, err := conn.Write(mustEncode(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})); err != nil {
		return gone
	}
	typ, raw, err := r.next()
	if err != nil || typ != 'p' {
		return authReadError(err)
	}
	// SASLInitialResponse: mechanism, then Int32 length and the data.
	mech, rest, ok := cstring(raw[5:])
	if !ok || len(rest) < 4 {
		return fatal(codeProtocolViolation, "dbward: invalid SASL initial response", "")
	}
	if mech != scramMechanism {
		return fatal(codeProtocolViolation, "dbward: unsupported SASL mechanism "+fmt.Sprintf("%q", mech), "use SCRAM-SHA-256")
	}
	n := int(int32(binary.BigEndian.Uint32(rest)))
	if n < 0 || n != len(rest)-4 {
		return fatal(codeProtocolViolation, "dbward: invalid SASL initial response", "")
	}
	srv := scramServer{keys: keys}
	first, err := srv.first(string(rest[4:]))
	if err != nil {
		return badPassword(user)
	}
	if _, err := conn.Write(mustEncode(&pgproto3.AuthenticationSASLContinue{Data: []byte(first)})); err != nil {
		return gone
	}
	typ, raw, err = r.next()
	if err != nil || typ != 'p' {
		return authReadError(err)
	}
	final, err := srv.final(string(raw[5:]))
	if err != nil {
		return badPassword(user)
	}
	if _, err := conn.Write(mustEncode(&pgproto3.AuthenticationSASLFinal{Data: []byte(final)})); err != nil {
		return gone
	}
	return nil
}

func authReadError(err error) *pgError {
	if err == nil {
		return fatal(codeProtocolViolation, "dbward: expected a password message", "")
	}
	return startupReadError(err)
}

func mustEncode(m pgproto3.BackendMessage) []byte {
	b, err := m.Encode(nil)
	if err != nil {
		panic("BUG: encoding " + fmt.Sprintf("%T", m) + ": " + err.Error())
	}
	return b
}
