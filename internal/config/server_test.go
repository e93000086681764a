package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestServerURL(t *testing.T) {
	dir := t.TempDir()
	for yaml, want := range map[string]string{
		"datastores: []\n":                     "http://127.0.0.1:8080",
		"listen: {http: \"0.0.0.0:9090\"}\n":   "http://127.0.0.1:9090",
		"listen: {http: \":9090\"}\n":          "http://127.0.0.1:9090",
		"listen: {http: \"[::]:9090\"}\n":      "http://127.0.0.1:9090",
		"listen: {http: \"db.example:443\"}\n": "http://db.example:443",
		"listen: {http: \"[::1]:1\"}\n":        "http://[::1]:1",
	} {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(yaml), 0o644)
		if got, err := ServerURL(p); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", yaml, got, err, want)
		}
	}
	p := filepath.Join(dir, "bad.yaml")
	os.WriteFile(p, []byte("listen: {http: \"nohostport\"}\n"), 0o644)
	if _, err := ServerURL(p); err == nil {
		t.Error("a listen.http without a port was accepted")
	}
	if _, err := ServerURL(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file was accepted")
	}
}
