package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/dbward/dbward/internal/config"
)

func TestVerifyToken(t *testing.T) {
	sum := sha256.Sum256([]byte("alice-token"))
	s, err := NewStore([]config.Identity{
		{Name: "alice", Kind: "human", Groups: []string{"dba"}, TokenSHA256: hex.EncodeToString(sum[:])},
		{Name: "bot", Kind: "agent", Owner: "alice", Fingerprint: "x/y", Token: "bot-token"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, token string
		ok          bool
	}{
		{"alice", "alice-token", true},
		{"alice", "wrong", false},
		{"alice", "", false},
		{"bot", "bot-token", true},
		{"bot", "alice-token", false},
		{"nobody", "alice-token", false},
		{"nobody", "", false},
	}
	for _, c := range cases {
		id, err := s.VerifyToken(c.name, c.token)
		if c.ok != (err == nil) {
			t.Errorf("%s/%q: err=%v", c.name, c.token, err)
		}
		if !c.ok && !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: want ErrBadCredentials, got %v", c.name, err)
		}
		if c.ok && id.Name != c.name {
			t.Errorf("got identity %q", id.Name)
		}
	}
	if _, ok := s.SCRAMToken("alice"); ok {
		t.Error("alice has only a hash; SCRAM must not be offered")
	}
	if tok, ok := s.SCRAMToken("bot"); !ok || tok != "bot-token" {
		t.Error("bot's token should be known for SCRAM")
	}
	if id, _ := s.Lookup("bot"); id.Kind != Agent || id.Owner != "alice" || id.InGroup("dba") {
		t.Errorf("lookup: %+v", id)
	}
}

func TestByToken(t *testing.T) {
	s, err := NewStore([]config.Identity{
		{Name: "alice", Kind: "human", Token: "alice-token"},
		{Name: "bot", Kind: "agent", Owner: "alice", Token: "bot-token"},
		{Name: "twin1", Kind: "human", Token: "shared"},
		{Name: "twin2", Kind: "human", Token: "shared"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{"alice-token": "alice", "bot-token": "bot", "shared": "", "": "", "nope": ""} {
		id, err := s.ByToken(token)
		if want == "" {
			if !errors.Is(err, ErrBadCredentials) {
				t.Errorf("token %q: %+v, %v", token, id, err)
			}
			continue
		}
		if err != nil || id.Name != want {
			t.Errorf("token %q: %+v, %v; want %s", token, id, err, want)
		}
	}
}
