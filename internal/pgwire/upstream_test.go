package pgwire_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/pgtest"
)

// dbward logs in upstream with SCRAM, md5 or trust, with TLS as configured,
// and the client never sees those credentials.
func TestUpstreamAuthAndTLS(t *testing.T) {
	pg := pgtest.Shared(t)
	e := startProxy(t, func(c *config.Config) {
		base := c.Datastores[0]
		add := func(name, user, password, tls string) {
			d := base
			d.Name, d.Environment = name, "dev"
			d.Upstream.User, d.Upstream.Password, d.Upstream.PasswordEnv, d.Upstream.TLS = user, config.Secret(password), "", tls
			d.Upstream.Database = "postgres"
			c.Datastores = append(c.Datastores, d)
		}
		add("via_md5", pgtest.MD5User, pg.MD5Password, "disable")
		add("via_trust", pgtest.TrustUser, "", "disable")
		add("via_scram_tls", "dbward_svc", svcPass, "require")
		add("via_scram_plain", "dbward_svc", svcPass, "disable")
		add("via_verify_full", "dbward_svc", svcPass, "verify-full")
		c.Datastores[len(c.Datastores)-1].Upstream.CACert = pg.CertFile
		add("wrong_password", "dbward_svc", "not-the-password", "disable")
	})
	ctx := context.Background()
	cases := []struct {
		datastore, user string
		ssl             bool
	}{
		{"via_md5", pgtest.MD5User, false},
		{"via_trust", pgtest.TrustUser, false},
		{"via_scram_tls", "dbward_svc", true},
		{"via_scram_plain", "dbward_svc", false},
		{"via_verify_full", "dbward_svc", true},
	}
	for _, c := range cases {
		t.Run(c.datastore, func(t *testing.T) {
			conn := e.connect(t, alice, aliceToken, c.datastore)
			var user string
			var ssl bool
			err := conn.QueryRow(ctx, "SELECT current_user, coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)").Scan(&user, &ssl)
			if err != nil || user != c.user || ssl != c.ssl {
				t.Fatalf("user %q ssl %v err %v; want %q ssl %v", user, ssl, err, c.user, c.ssl)
			}
		})
	}
	t.Run("upstream refuses dbward", func(t *testing.T) {
		_, err := connectErr(e, alice, aliceToken, "wrong_password")
		expectFatal(t, err, "08006", `dbward: cannot reach datastore "wrong_password"`)
		if containsSecret(err, "not-the-password") {
			t.Fatal("upstream password in the client's error")
		}
	})
	if _, err := os.Stat(filepath.Clean(pg.CertFile)); err != nil {
		t.Fatalf("pgtest certificate: %v", err)
	}
}
