package pgwire_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/pgtest"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile, err := pgtest.WriteCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// With tls.cert and tls.key, dbward serves that certificate: a client that
// verifies it against the certificate as CA (verify-full) connects.
func TestConfiguredCertificate(t *testing.T) {
	certFile, keyFile := writeCert(t, t.TempDir())
	e := startProxy(t, func(c *config.Config) { c.TLS.Cert, c.TLS.Key = certFile, keyFile })
	url := strings.Replace(e.url(bob, bobToken, "shop"), "sslmode=disable", "sslmode=verify-full&sslrootcert="+certFile, 1)
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("verify-full against the configured certificate: %v", err)
	}
	c.Close(context.Background())
	// A client that expects another CA refuses the connection.
	other, _ := writeCert(t, t.TempDir())
	url = strings.Replace(e.url(bob, bobToken, "shop"), "sslmode=disable", "sslmode=verify-full&sslrootcert="+other, 1)
	if c, err := pgx.Connect(context.Background(), url); err == nil {
		c.Close(context.Background())
		t.Fatal("connected although the certificate does not chain to the client's CA")
	}
}
