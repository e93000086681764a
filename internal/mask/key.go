package mask

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OpenKeyFile returns a Transformer keyed by the key in path, creating the
// file with a new random 32-byte key (base64, mode 0600) if it does not
// exist. The key makes tokens, fakes and hashes repeatable across restarts;
// whoever holds it can test guesses against them, so it is kept like the
// audit signing key.
func OpenKeyFile(path string) (*Transformer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("masking key: %w", err)
		}
		line := base64.StdEncoding.EncodeToString(key) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(line)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("masking key: %w", err)
		}
		if data, err = os.ReadFile(path); err != nil { // (another process may have won the race)
			return nil, fmt.Errorf("masking key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("masking key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("masking key %s: not the base64 of at least 32 bytes (delete it to have a new one made; tokens then change)", path)
	}
	return NewTransformer(key)
}
