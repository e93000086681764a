// Package identity turns credentials into an Identity: who is connecting, of
// what kind (human, agent, service), in which groups, and for agents the
// person they act for and the software they are.
//
// This version knows static tokens from the config (token_sha256 or
// token_env). Verification takes the same time whether or not the identity
// exists, so timing does not reveal which names are configured.
package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"

	"github.com/dbward/dbward/internal/config"
)

// Kind is what sort of actor an identity is.
type Kind string

const (
	Human   Kind = "human"
	Agent   Kind = "agent"
	Service Kind = "service"
)

// Identity is who a session acts as. It is safe to log: it holds no secret.
type Identity struct {
	Name        string
	Kind        Kind
	Groups      []string
	Owner       string // agents: the person they act for
	Fingerprint string // agents: the software, e.g. anthropic/claude-code
}

// InGroup reports whether the identity is a member of group g.
func (id Identity) InGroup(g string) bool {
	for _, x := range id.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// ErrBadCredentials is returned for an unknown identity and for a wrong
// token alike, so callers cannot tell the two apart (nor can clients).
var ErrBadCredentials = errors.New("password authentication failed")

type entry struct {
	id     Identity
	digest [sha256.Size]byte // sha256 of the token
	token  config.Secret     // the token itself when known (token_env): enables SCRAM
}

// Store holds the configured identities. The zero value knows nobody.
type Store struct {
	byName map[string]*entry
	decoy  entry // compared against for unknown names, to keep timing even
}

// NewStore builds a Store from validated config identities.
func NewStore(ids []config.Identity) (*Store, error) {
	s := &Store{byName: make(map[string]*entry, len(ids))}
	for _, c := range ids {
		e := &entry{id: Identity{
			Name: c.Name, Kind: Kind(c.Kind), Groups: append([]string(nil), c.Groups...),
			Owner: c.Owner, Fingerprint: c.Fingerprint,
		}}
		switch {
		case c.Token != "":
			e.token = c.Token
			e.digest = sha256.Sum256([]byte(c.Token))
		case c.TokenSHA256 != "":
			b, err := hex.DecodeString(c.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, errors.New("identity " + c.Name + ": token_sha256 is not a hex SHA-256")
			}
			copy(e.digest[:], b)
		default:
			return nil, errors.New("identity " + c.Name + ": no credential")
		}
		s.byName[c.Name] = e
	}
	return s, nil
}

// VerifyToken checks a cleartext token for the named identity. It returns
// ErrBadCredentials for an unknown name or a wrong token, in equal time.
func (s *Store) VerifyToken(name, token string) (Identity, error) {
	e, ok := s.byName[name]
	if !ok {
		e = &s.decoy
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], e.digest[:]) != 1 || !ok {
		return Identity{}, ErrBadCredentials
	}
	return e.id, nil
}

// ByToken returns the identity whose token this is, for callers that get a
// token without a name (the HTTP API's bearer tokens). Every identity's
// digest is compared, in constant time each; a token two identities share
// names neither.
func (s *Store) ByToken(token string) (Identity, error) {
	sum := sha256.Sum256([]byte(token))
	var found *entry
	n := 0
	for _, e := range s.byName {
		if subtle.ConstantTimeCompare(sum[:], e.digest[:]) == 1 {
			found = e
			n++
		}
	}
	if n != 1 || token == "" {
		return Identity{}, ErrBadCredentials
	}
	return found.id, nil
}

// Lookup returns the identity with that name, for a caller that has
// authenticated it by other means (SCRAM).
func (s *Store) Lookup(name string) (Identity, bool) {
	e, ok := s.byName[name]
	if !ok {
		return Identity{}, false
	}
	return e.id, true
}

// SCRAMToken returns the identity's token when dbward knows it in clear
// (token_env), which SCRAM-SHA-256 needs to derive its keys. Identities
// configured by token_sha256 only support password authentication.
func (s *Store) SCRAMToken(name string) (config.Secret, bool) {
	e, ok := s.byName[name]
	if !ok || e.token == "" {
		return "", false
	}
	return e.token, true
}
