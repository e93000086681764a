package upstream

import (
	"testing"

	"github.com/dbward/dbward/internal/config"
)

func TestConfig(t *testing.T) {
	ds := &config.Datastore{Name: "shop", Upstream: config.Upstream{
		Address: "db.internal:6543", Database: "shop's db", User: `we\ird`, TLS: "require", Password: "s3cret",
	}}
	cfg, err := Config(ds, map[string]string{
		"application_name": "psql", "DateStyle": "ISO", "user": "alice", "database": "x", "replication": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "db.internal" || cfg.Port != 6543 || cfg.Database != "shop's db" || cfg.User != `we\ird` || cfg.Password != "s3cret" {
		t.Fatalf("config: host %q port %d db %q user %q", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	}
	if cfg.TLSConfig == nil {
		t.Fatal("tls require gave no TLS config")
	}
	if cfg.RuntimeParams["application_name"] != "psql" || cfg.RuntimeParams["DateStyle"] != "ISO" {
		t.Fatalf("client parameters not passed on: %v", cfg.RuntimeParams)
	}
	for _, k := range []string{"user", "database", "replication"} {
		if _, ok := cfg.RuntimeParams[k]; ok {
			t.Errorf("startup key %q passed upstream", k)
		}
	}
	if _, err := Config(&config.Datastore{Upstream: config.Upstream{Address: "nope"}}, nil); err == nil {
		t.Fatal("address without port accepted")
	}
}
