package pgwire_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbward/dbward/internal/config"
)

// writeCert writes a certificate for 127.0.0.1 and its key as PEM files.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "dbward test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
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
