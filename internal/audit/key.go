package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Files in the audit directory (doc.go describes them all).
const (
	signingKeyFile = "signing.key" // note private key, 0600
	publicKeyFile  = "key.pub"     // note verifier key, written beside it for read-only tools
)

// loadOrCreateKey returns the signer in dir, creating an Ed25519 key named
// origin on first use, and the matching verifier key string.
func loadOrCreateKey(dir, origin string) (note.Signer, string, error) {
	path := filepath.Join(dir, signingKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		skey, vkey, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, "", fmt.Errorf("generating the signing key: %w", err)
		}
		if err := writeFileSync(path, []byte(skey+"\n"), 0o600, true); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return loadOrCreateKey(dir, origin)
			}
			return nil, "", fmt.Errorf("writing the signing key: %w", err)
		}
		raw = []byte(skey)
		_ = vkey // derived below, the same way as for a loaded key
	} else if err != nil {
		return nil, "", fmt.Errorf("reading the signing key: %w", err)
	}
	skey := strings.TrimSpace(string(raw))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a signing key: %w", path, err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	pub := filepath.Join(dir, publicKeyFile)
	if old, err := os.ReadFile(pub); err != nil || strings.TrimSpace(string(old)) != vkey {
		if err := writeFileSync(pub, []byte(vkey+"\n"), 0o644, false); err != nil {
			return nil, "", fmt.Errorf("writing the public key: %w", err)
		}
	}
	return signer, vkey, nil
}

// verifierKey derives the note verifier key from a note Ed25519 private key
// ("PRIVATE+KEY+name+hash+base64(0x01 || seed)").
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note private key")
	}
	k, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(k) != 1+ed25519.SeedSize || k[0] != 1 {
		return "", errors.New("not an Ed25519 note private key")
	}
	pub := ed25519.NewKeyFromSeed(k[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// PublicKey returns the verifier key of the trail in dir, in the note
// format ("name+hash+base64"), which Verify and VerifyProof accept.
func PublicKey(dir string) (string, error) {
	if raw, err := os.ReadFile(filepath.Join(dir, signingKeyFile)); err == nil {
		return verifierKey(strings.TrimSpace(string(raw)))
	}
	raw, err := os.ReadFile(filepath.Join(dir, publicKeyFile))
	if err != nil {
		return "", fmt.Errorf("reading the public key: %w", err)
	}
	vkey := string(bytes.TrimSpace(raw))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", fmt.Errorf("%s: %w", publicKeyFile, err)
	}
	return vkey, nil
}

// writeFileSync writes a new file (exclusive: it must not exist) or
// replaces one through a temporary file, then syncs it and its directory.
func writeFileSync(path string, data []byte, perm os.FileMode, exclusive bool) error {
	dir := filepath.Dir(path)
	target := path
	if !exclusive {
		target = path + ".tmp"
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if exclusive {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(target, flags, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !exclusive {
		if err := os.Rename(target, path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
