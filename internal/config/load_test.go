package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const good = `
listen:
  postgres: 127.0.0.1:7432
datastores:
  - name: shop
    environment: prod
    upstream:
      address: 127.0.0.1:5432
      user: dbward_svc
      password_env: SHOP_DB_PASSWORD
identities:
  - name: alice@example.com
    groups: [dba]
    token_sha256: "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
  - name: claude@alice
    kind: agent
    owner: alice@example.com
    fingerprint: anthropic/claude-code
    token_env: AGENT_TOKEN
policy:
  paths: [policies/]
`

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseGood(t *testing.T) {
	c, err := Parse("/etc/dbward/dbward.yaml", []byte(good), env("SHOP_DB_PASSWORD", "s3cret", "AGENT_TOKEN", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Datastore("shop")
	if !ok {
		t.Fatal("datastore shop missing")
	}
	checks := []struct{ got, want string }{
		{c.Listen.Postgres, "127.0.0.1:7432"},
		{c.Listen.HTTP, "127.0.0.1:8080"},
		{d.Engine, "postgres"},
		{d.Upstream.Database, "shop"},
		{d.Upstream.TLS, "prefer"},
		{string(d.Upstream.Password), "s3cret"},
		{c.Identities[0].Kind, "human"},
		{string(c.Identities[1].Token), "tok"},
		{c.Policy.Paths[0], "/etc/dbward/policies"},
		{c.Audit.Dir, "/etc/dbward/data/audit"},
		{c.Masking.KeyFile, "/etc/dbward/data/mask.key"}, // beside audit.dir
	}
	for i, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("check %d: got %q, want %q", i, ch.got, ch.want)
		}
	}
}

func TestParseProblems(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error, each must appear
	}{
		{"unknown key", "listen:\n  postgress: x\n", []string{"line 2", "postgress", "not found"}},
		{"not yaml", "listen: [\n", []string{"dbward.yaml"}},
		{"no datastores", "identities: []\n", []string{"datastores", "at least one datastore"}},
		{"missing upstream", "datastores:\n  - name: shop\n", []string{"dbward.yaml:2: datastores[0].upstream.address: address is required",
			"datastores[0].upstream.user"}},
		{"bad tls", "datastores:\n  - name: a\n    upstream: {address: 'h:1', user: u, tls: maybe}\n", []string{"tls \"maybe\""}},
		{"unset env", "datastores:\n  - name: a\n    upstream: {address: 'h:1', user: u, password_env: NOPE}\n", []string{"NOPE is empty or unset"}},
		{"dup datastore", "datastores:\n  - name: a\n    upstream: {address: 'h:1', user: u}\n  - name: a\n    upstream: {address: 'h:1', user: u}\n",
			[]string{"dbward.yaml:4: datastores[1].name: datastore \"a\" is defined twice"}},
		{"agent without owner", base + "identities:\n  - name: bot\n    kind: agent\n    token_env: T\n", []string{"needs an owner"}},
		{"bad kind", base + "identities:\n  - name: bot\n    kind: robot\n    token_env: T\n", []string{"kind \"robot\""}},
		{"no credential", base + "identities:\n  - name: bob\n", []string{"credential is required"}},
		{"bad hash", base + "identities:\n  - name: bob\n    token_sha256: abc\n", []string{"64 hex digits"}},
		{"cert without key", base + "tls:\n  cert: c.pem\n", []string{"cert and key"}},
		{"bad listen", base + "listen:\n  postgres: 6432\n", []string{"listen.postgres", "not host:port"}},
		{"masking columns", base + "masking:\n  columns:\n    a.public.t: email\n    nope.public.t.c: email\n    a.public.t.c: shoe_size\n",
			[]string{"masking.columns.a.public.t", "not datastore.schema.table.column", "names datastore \"nope\"", "classification \"shoe_size\""}},
		{"webhook without url", base + "audit:\n  webhooks:\n    - name: siem\n      url: ftp://x\n      format: cef\n",
			[]string{"audit.webhooks[0].url", "not an http:// or https:// URL", "audit.webhooks[0].format", "format \"cef\""}},
		{"webhook twice, token unset", base + "audit:\n  webhooks:\n    - {name: s, url: 'http://h/'}\n    - {name: s, url: 'http://h/', token_env: NOPE}\n",
			[]string{"webhook \"s\" is defined twice", "NOPE is empty or unset"}},
		{"approvals url", base + "approvals:\n  url: dbward.example.com\n",
			[]string{"dbward.yaml:5: approvals.url: url \"dbward.example.com\" is not an http:// or https:// URL"}},
		{"notify without endpoint, bad format and event", base + "approvals:\n  notify:\n    - {name: a, format: teams, events: [created, voted]}\n",
			[]string{"approvals.notify[0].url: give url or url_env, exactly one", "approvals.notify[0].format: format \"teams\" is not one of json, slack",
				"approvals.notify[0].events[1]: event \"voted\" is not one of created, approved"}},
		{"notify twice, url and url_env", base + "approvals:\n  notify:\n    - {name: a, url: 'http://h/'}\n    - {name: a, url: 'http://h/', url_env: T}\n",
			[]string{"dbward.yaml:7: approvals.notify[1].name: notification target \"a\" is defined twice", "approvals.notify[1].url: give url or url_env, exactly one"}},
		{"notify url_env unset, not a URL", base + "approvals:\n  notify:\n    - {name: a, url_env: NOPE}\n    - {name: b, url_env: T}\n",
			[]string{"approvals.notify[0].url_env: environment variable NOPE is empty or unset", "approvals.notify[1].url_env: environment variable T does not hold an http:// or https:// URL"}},
		{"notify without name, bad url, token unset", base + "approvals:\n  notify:\n    - {url: 'ftp://h/', token_env: NOPE}\n",
			[]string{"approvals.notify[0].name: name is required", "approvals.notify[0].url: url \"ftp://h/\" is not an http", "approvals.notify[0].token_env: environment variable NOPE"}},
		{"slack webhook url in the config", base + "approvals:\n  notify:\n    - {name: s, url: 'https://hooks.slack.com/services/T0/B0/SECRET', format: slack}\n",
			[]string{"approvals.notify[0].url: a Slack incoming webhook's URL is a secret", "url_env"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("dbward.yaml", []byte(tc.yaml), env("T", "x"))
			if err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q repeats a secret", err)
			}
		})
	}
}

const base = "datastores:\n  - name: a\n    upstream: {address: 'h:1', user: u}\n"

func TestParseApprovals(t *testing.T) {
	const approvals = `
approvals:
  url: https://dbward.example.com
  notify:
    - name: ops-slack
      url_env: SLACK_WEBHOOK_URL
      format: slack
      events: [created, approved, denied, expired, withdrawn, used]
    - name: bot
      url: https://bot.example.com/dbward
      token_env: NOTIFY_TOKEN
`
	c, err := Parse("dbward.yaml", []byte(base+approvals), env("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/x", "NOTIFY_TOKEN", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	slack, bot := c.Approvals.Notify[0], c.Approvals.Notify[1]
	checks := []struct{ got, want string }{
		{c.Approvals.URL, "https://dbward.example.com"},
		{string(slack.Endpoint), "https://hooks.slack.com/services/T0/B0/x"},
		{slack.Format, "slack"},
		{strings.Join(slack.Events, ","), strings.Join(NotifyEvents, ",")}, // every event may be named
		{string(slack.Token), ""},
		{string(bot.Endpoint), "https://bot.example.com/dbward"},
		{bot.Format, "json"},                       // default
		{strings.Join(bot.Events, ","), "created"}, // default
		{string(bot.Token), "tok"},
	}
	for i, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("check %d: got %q, want %q", i, ch.got, ch.want)
		}
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	c, err := Parse("x.yaml", []byte(good), env("SHOP_DB_PASSWORD", "s3cret", "AGENT_TOKEN", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmtV(c), fmtV(*c)} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password leaked: %s", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(base))
	f.Add([]byte("listen: {postgres: ':1'}\ndatastores: [{name: x}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, env("SHOP_DB_PASSWORD", "p", "AGENT_TOKEN", "t"))
		if err == nil && len(c.Datastores) == 0 {
			t.Fatal("a config without datastores validated")
		}
	})
}

func fmtV(v any) string { return fmt.Sprintf("%v %+v %#v", v, v, v) }
