package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Unprivileged returns the credential to run PostgreSQL (or PgBouncer,
// which refuses root too) with: nil when the process is not root, else
// the postgres system user, else nobody. It fails only as root when
// neither user exists.
func Unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pgtest: uid of %s: %w", name, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("pgtest: gid of %s: %w", name, err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root, and there is no postgres or nobody user to run PostgreSQL as")
}

// tempBase returns the directory to make server directories in: the
// temporary directory, or /tmp when cred's user cannot reach the former
// (TMPDIR=/root/tmp, say).
func tempBase(cred *syscall.Credential) (string, error) {
	base := os.TempDir()
	if cred == nil {
		return base, nil
	}
	err := traversable(base, cred)
	if err == nil {
		return base, nil
	}
	if err2 := traversable("/tmp", cred); err2 != nil {
		return "", fmt.Errorf("pgtest: uid %d cannot reach a temporary directory: %w; %w", cred.Uid, err, err2)
	}
	return "/tmp", nil
}

// traversable reports, as an error naming the first obstacle, whether
// cred's user may search every directory from / down to dir. It reads the
// owner/group/other execute bits only, ignoring ACLs and supplementary
// groups, so it may refuse a path that is in fact reachable, never the
// other way round unless an ACL denies more than the mode bits do.
func traversable(dir string, cred *syscall.Credential) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no ownership information", p)
		}
		var bit os.FileMode
		switch {
		case st.Uid == cred.Uid:
			bit = 0o100
		case st.Gid == cred.Gid:
			bit = 0o010
		default:
			bit = 0o001
		}
		if !fi.IsDir() || fi.Mode().Perm()&bit == 0 {
			return fmt.Errorf("%s (mode %v) is not searchable by uid %d", p, fi.Mode().Perm(), cred.Uid)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// chown gives paths to cred's user; a nil cred means nothing to do.
func chown(cred *syscall.Credential, paths ...string) error {
	if cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("giving %s to uid %d: %w", p, cred.Uid, err)
		}
	}
	return nil
}
