package demo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dbward/dbward/internal/pgtest"
)

// World is a running demo: the database and the files written for dbward.
type World struct {
	PG         *pgtest.Server
	Dir        string // where the config and policies live
	ConfigPath string
	ProxyAddr  string
	HTTPAddr   string // dbward's HTTP API (approvals)
	// Tokens by identity name, and the environment dbward needs.
	Tokens map[string]string
	Env    map[string]string
}

// Identity names used by the demo.
const (
	DBA   = "alice@example.com"
	Agent = "claude@alice"
)

// Setup starts PostgreSQL, loads the sample shop in database "shop" (prod)
// and "shop_dev" (dev), and writes a dbward config into dir.
func Setup(ctx context.Context, dir, proxyAddr, httpAddr string) (*World, error) {
	pg, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	w := &World{PG: pg, Dir: dir, ProxyAddr: proxyAddr, HTTPAddr: httpAddr, Tokens: map[string]string{}, Env: map[string]string{}}
	if err := w.load(ctx); err != nil {
		pg.Stop()
		return nil, err
	}
	if err := w.writeConfig(); err != nil {
		pg.Stop()
		return nil, err
	}
	return w, nil
}

func (w *World) load(ctx context.Context) error {
	svcPassword := rand.Text()
	w.Env["SHOP_DB_PASSWORD"] = svcPassword
	if err := w.PG.CreateRole(ctx, "dbward_svc", svcPassword); err != nil {
		return err
	}
	for _, db := range []string{"shop", "shop_dev"} {
		if err := w.PG.CreateDatabase(ctx, db); err != nil {
			return err
		}
		sql := "ALTER SCHEMA public OWNER TO dbward_svc; SET ROLE dbward_svc;" + Schema + SampleData(1000, 42)
		if err := w.PG.Exec(ctx, db, sql); err != nil {
			return fmt.Errorf("loading sample data into %s: %w", db, err)
		}
	}
	return nil
}

func (w *World) writeConfig() error {
	if err := os.MkdirAll(filepath.Join(w.Dir, "policies"), 0o755); err != nil {
		return err
	}
	dbaToken, agentToken := "dba_"+rand.Text(), "agt_"+rand.Text()
	w.Tokens[DBA], w.Tokens[Agent] = dbaToken, agentToken
	w.Env["AGENT_TOKEN"] = agentToken
	sum := sha256.Sum256([]byte(dbaToken))
	cfg := fmt.Sprintf(`# Written by dbward demo. See the README's configuration section.
listen:
  postgres: %[1]q
  http: %[6]q
datastores:
  - name: shop
    environment: prod
    upstream:
      address: %[2]q
      database: shop
      user: dbward_svc
      password_env: SHOP_DB_PASSWORD
  - name: shop_dev
    environment: dev
    upstream:
      address: %[2]q
      database: shop_dev
      user: dbward_svc
      password_env: SHOP_DB_PASSWORD
identities:
  - name: %[3]q
    kind: human
    groups: [dba]
    token_sha256: %[4]q
  - name: %[5]q
    kind: agent
    owner: %[3]s
    fingerprint: anthropic/claude-code
    groups: [agents]
    token_env: AGENT_TOKEN
policy:
  paths: [policies/]
`, w.ProxyAddr, w.PG.Addr(), DBA, hex.EncodeToString(sum[:]), Agent, w.HTTPAddr)
	w.ConfigPath = filepath.Join(w.Dir, "dbward.yaml")
	if err := os.WriteFile(w.ConfigPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.Dir, "policies", "example.rego"), []byte(examplePolicy), 0o644)
}

// examplePolicy shows how a team adds its own rule next to the built-ins.
const examplePolicy = `package dbward

# Agents may not read API key secrets, in any environment.
rules["agents_no_secrets"] := {
	"action": "deny",
	"reason": "agents may not read api_keys",
	"hint": "ask the key's owner; secrets are not for agents",
} if {
	input.identity.kind == "agent"
	some t in input.statement.tables
	t.name == "api_keys"
}

# The built-in agent_writes_need_approval holds an AI agent's writes in prod
# until a DBA approves them. alice is the demo's only DBA and owns the agent,
# so this rule of the same name replaces it and lets an agent's owner
# approve (owner_counts).
rules["agent_writes_need_approval"] := {
	"action": "approve",
	"reason": "an AI agent's writes in prod need a DBA's approval",
	"approvals": {"required_groups": ["dba"], "owner_counts": true, "mode": "defer"},
} if {
	input.identity.kind == "agent"
	input.datastore.environment == "prod"
	input.statement.kind in {"insert", "update", "delete", "merge"}
}
`

// Stop stops the demo database.
func (w *World) Stop() error { return w.PG.Stop() }
