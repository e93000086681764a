package pgtest

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestNewestFirst(t *testing.T) {
	tests := []struct{ in, want []string }{
		{nil, []string{}},
		{
			[]string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/17/bin"},
			[]string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/9.6/bin"},
		},
		{
			[]string{"/usr/lib/postgresql/odd/bin", "/usr/lib/postgresql/16/bin"},
			[]string{"/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/odd/bin"},
		},
	}
	for _, tt := range tests {
		if got := newestFirst(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("newestFirst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBinDirHasTheServer(t *testing.T) {
	dir, err := BinDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if !hasServer(dir) {
		t.Fatalf("BinDir() = %s, which lacks initdb or postgres", dir)
	}
	if hasServer(t.TempDir()) || hasServer("") {
		t.Fatal("hasServer accepts a directory without the binaries")
	}
}

func TestTraversable(t *testing.T) {
	self := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
	stranger := &syscall.Credential{Uid: 4242421, Gid: 4242421}
	tests := []struct {
		name string
		mode os.FileMode
		cred *syscall.Credential
		ok   bool
	}{
		{"owner may search 0700", 0o700, self, true},
		{"stranger may not search 0700", 0o700, stranger, false},
		{"stranger may not search 0770", 0o770, stranger, false},
		{"stranger may search 0711", 0o711, stranger, true},
		{"owner may not search 0600", 0o600, self, false},
	}
	root := t.TempDir()
	for _, d := range []string{filepath.Dir(root), root} { // testing makes both 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := traversable(root, stranger); err != nil {
		t.Skipf("the temporary directory is closed to others on this machine: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(root, tt.name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(dir, 0o700)
			err := traversable(filepath.Join(dir, "."), tt.cred)
			if (err == nil) != tt.ok {
				t.Errorf("traversable = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
