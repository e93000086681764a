package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Roles that Start creates, one per upstream authentication method that is
// not SCRAM (see the package documentation for pg_hba.conf).
const (
	// MD5User logs in over TCP with md5 password authentication; its
	// password is Server.MD5Password.
	MD5User = "md5_user"
	// TrustUser logs in over TCP with no password (trust).
	TrustUser = "trust_user"
)

// hbaConf is the whole pg_hba.conf. The first matching line wins, so the
// per-role lines come before the catch-all SCRAM lines.
var hbaConf = fmt.Sprintf(`# pgtest (see internal/pgtest/doc.go)
local all all               trust
host  all %s 127.0.0.1/32 trust
host  all %s   127.0.0.1/32 md5
host  all all        127.0.0.1/32 scram-sha-256
host  all all        ::1/128      scram-sha-256
`, TrustUser, MD5User)

// settings are the postgresql.conf lines appended after initdb's; the
// port is given on the command line, so a retry can change it. extra
// comes last and so wins.
func settings(socketDir string, extra []string) string {
	lines := []string{
		"# pgtest (see internal/pgtest/doc.go)",
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = " + quoteLiteral(socketDir),
		"max_connections = 300",
		"shared_buffers = '32MB'",
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"password_encryption = 'scram-sha-256'",
		"ssl = on",
		"ssl_cert_file = 'server.crt'",
		"ssl_key_file = 'server.key'",
	}
	return "\n" + strings.Join(append(lines, extra...), "\n") + "\n"
}

// writeConfig appends the settings to postgresql.conf, replaces
// pg_hba.conf and writes the certificate and key, all owned by cred's user.
func (s *Server) writeConfig(cred *syscall.Credential, opts Options) error {
	data := s.dataDir()
	conf, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("opening postgresql.conf: %w", err)
	}
	_, err = conf.WriteString(settings(s.Dir, opts.Settings))
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing postgresql.conf: %w", err)
	}
	certPEM, keyPEM, err := selfSignedPEM()
	if err != nil {
		return fmt.Errorf("making a certificate: %w", err)
	}
	s.CertFile = filepath.Join(data, "server.crt")
	files := []struct {
		path string
		body []byte
	}{
		{filepath.Join(data, "pg_hba.conf"), []byte(hbaConf)},
		{s.CertFile, certPEM},
		{filepath.Join(data, "server.key"), keyPEM}, // postgres refuses a key readable by others
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.body, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Base(f.path), err)
		}
		if err := chown(cred, f.path); err != nil {
			return err
		}
	}
	return nil
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
