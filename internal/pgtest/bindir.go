package pgtest

import (
	"cmp"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoPostgres is returned by Start when no directory holds both initdb
// and postgres. Shared skips the test on it, unless CI=true.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found; run scripts/ensure-postgres.sh")

// BinDir returns the directory holding initdb and postgres: the one that
// `pg_config --bindir` names, else the newest /usr/lib/postgresql/<version>/bin
// (Debian's layout), else the directory of postgres found in PATH. It
// returns ErrNoPostgres when none has both binaries.
func BinDir() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	candidates = append(candidates, newestFirst(debian)...)
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, dir := range candidates {
		if hasServer(dir) {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

// newestFirst orders Debian bin directories (/usr/lib/postgresql/15/bin)
// by the version in their path, highest first; 9.6 sorts below 10.
func newestFirst(dirs []string) []string {
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sorted := slices.Clone(dirs)
	slices.SortStableFunc(sorted, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	return sorted
}

func hasServer(dir string) bool {
	if dir == "" {
		return false
	}
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
