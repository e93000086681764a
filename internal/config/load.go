package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every validation error Load returns.
var ErrInvalid = errors.New("invalid config")

// Problem is one thing wrong with a config file.
type Problem struct {
	File string
	Line int    // 0 when unknown
	Key  string // e.g. datastores[0].upstream.address
	Msg  string // what is wrong and how to fix it
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Key == "" {
		return fmt.Sprintf("%s: %s", loc, p.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Msg)
}

// Error lists every problem found in one config file.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (e *Error) Unwrap() error { return ErrInvalid }

// Load reads, defaults and validates the config at path. Secrets named by
// *_env keys are read from the environment (getenv; nil means os.Getenv).
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data, getenv)
}

// Parse is Load for bytes already read; path names the file in errors and
// anchors relative paths.
func Parse(path string, data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, &Error{Problems: []Problem{{File: path, Msg: yamlMessage(err)}}}
	}
	var c Config
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&c); err != nil {
		return nil, &Error{Problems: []Problem{{File: path, Msg: yamlMessage(err) +
			" (see the configuration section of the README for the keys dbward knows)"}}}
	}
	c.Path = path
	v := validator{file: path, root: &root, getenv: getenv}
	c.applyDefaults()
	c.resolvePaths(filepath.Dir(path))
	v.check(&c)
	if len(v.problems) > 0 {
		return nil, &Error{Problems: v.problems}
	}
	return &c, nil
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func (c *Config) applyDefaults() {
	if c.Listen.Postgres == "" {
		c.Listen.Postgres = "127.0.0.1:6432"
	}
	if c.Listen.HTTP == "" {
		c.Listen.HTTP = "127.0.0.1:8080"
	}
	if c.Audit.Dir == "" {
		c.Audit.Dir = "./data/audit"
	}
	if c.Masking.KeyFile == "" {
		c.Masking.KeyFile = filepath.Join(filepath.Dir(filepath.Clean(c.Audit.Dir)), "mask.key")
	}
	for i := range c.Audit.Webhooks {
		if c.Audit.Webhooks[i].Format == "" {
			c.Audit.Webhooks[i].Format = "dbward"
		}
	}
	for i := range c.Approvals.Notify {
		n := &c.Approvals.Notify[i]
		if n.Format == "" {
			n.Format = "json"
		}
		if len(n.Events) == 0 {
			n.Events = []string{"created"}
		}
	}
	for i := range c.Datastores {
		d := &c.Datastores[i]
		if d.Engine == "" {
			d.Engine = "postgres"
		}
		if d.Environment == "" {
			d.Environment = "prod"
		}
		if d.Upstream.Database == "" {
			d.Upstream.Database = d.Name
		}
		if d.Upstream.TLS == "" {
			d.Upstream.TLS = "prefer"
		}
	}
	for i := range c.Identities {
		if c.Identities[i].Kind == "" {
			c.Identities[i].Kind = "human"
		}
	}
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.TLS.Cert, c.TLS.Key = abs(c.TLS.Cert), abs(c.TLS.Key)
	c.Audit.Dir = abs(c.Audit.Dir)
	c.Masking.KeyFile = abs(c.Masking.KeyFile)
	for i, p := range c.Policy.Paths {
		c.Policy.Paths[i] = abs(p)
	}
	for i := range c.Datastores {
		c.Datastores[i].Upstream.CACert = abs(c.Datastores[i].Upstream.CACert)
	}
}

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

type validator struct {
	file     string
	root     *yaml.Node
	getenv   func(string) string
	problems []Problem
}

// add records a problem at the YAML node for key path (e.g. "datastores", 0, "name").
func (v *validator) add(msg string, path ...any) {
	v.problems = append(v.problems, Problem{File: v.file, Line: lineOf(v.root, path), Key: keyString(path), Msg: msg})
}

func (v *validator) check(c *Config) {
	v.address(c.Listen.Postgres, "listen", "postgres")
	v.address(c.Listen.HTTP, "listen", "http")
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		v.add("cert and key must be given together (or both left empty for a self-signed certificate)", "tls")
	}
	if len(c.Datastores) == 0 {
		v.add("at least one datastore is required: clients name it in database=", "datastores")
	}
	seen := map[string]bool{}
	for i := range c.Datastores {
		d := &c.Datastores[i]
		if d.Name == "" {
			v.add("name is required", "datastores", i, "name")
		} else if seen[d.Name] {
			v.add(fmt.Sprintf("datastore %q is defined twice", d.Name), "datastores", i, "name")
		}
		seen[d.Name] = true
		if d.Engine != "postgres" {
			v.add(fmt.Sprintf("engine %q is not supported; use postgres", d.Engine), "datastores", i, "engine")
		}
		u := &d.Upstream
		v.address(u.Address, "datastores", i, "upstream", "address")
		if u.User == "" {
			v.add("user is required: the role dbward connects as", "datastores", i, "upstream", "user")
		}
		switch u.TLS {
		case "disable", "prefer", "require", "verify-full":
		default:
			v.add(fmt.Sprintf("tls %q is not one of disable, prefer, require, verify-full", u.TLS), "datastores", i, "upstream", "tls")
		}
		if u.PasswordEnv != "" {
			u.Password = v.env(u.PasswordEnv, "the upstream password", "datastores", i, "upstream", "password_env")
		}
	}
	seen = map[string]bool{}
	for i := range c.Identities {
		id := &c.Identities[i]
		if id.Name == "" {
			v.add("name is required", "identities", i, "name")
		} else if seen[id.Name] {
			v.add(fmt.Sprintf("identity %q is defined twice", id.Name), "identities", i, "name")
		}
		seen[id.Name] = true
		switch id.Kind {
		case "human", "service":
		case "agent":
			if id.Owner == "" {
				v.add("an agent needs an owner: the person it acts for", "identities", i, "owner")
			}
		default:
			v.add(fmt.Sprintf("kind %q is not one of human, agent, service", id.Kind), "identities", i, "kind")
		}
		switch {
		case id.TokenSHA256 != "" && id.TokenEnv != "":
			v.add("give token_sha256 or token_env, not both", "identities", i, "token_env")
		case id.TokenSHA256 != "":
			if !hexSHA256.MatchString(id.TokenSHA256) {
				v.add("token_sha256 must be 64 hex digits (sha256sum of the token)", "identities", i, "token_sha256")
			}
		case id.TokenEnv != "":
			id.Token = v.env(id.TokenEnv, "the identity's token", "identities", i, "token_env")
		default:
			v.add("a credential is required: token_sha256 or token_env", "identities", i, "name")
		}
	}
	v.webhooks(c.Audit.Webhooks)
	v.masking(c)
	v.approvals(&c.Approvals)
}

// masking checks masking.columns: four-part names of a configured
// datastore, and known classifications.
func (v *validator) masking(c *Config) {
	for col, class := range c.Masking.Columns {
		parts := strings.Split(col, ".")
		switch {
		case len(parts) != 4 || slices.Contains(parts, ""):
			v.add(fmt.Sprintf("%q is not datastore.schema.table.column", col), "masking", "columns", col)
		case !slices.ContainsFunc(c.Datastores, func(d Datastore) bool { return d.Name == parts[0] }):
			v.add(fmt.Sprintf("%q names datastore %q, which is not configured", col, parts[0]), "masking", "columns", col)
		case class != "none" && !slices.Contains(MaskingClasses, class):
			v.add(fmt.Sprintf("classification %q is not one of %s, or none", class, strings.Join(MaskingClasses, ", ")), "masking", "columns", col)
		}
	}
}

func (v *validator) webhooks(hooks []Webhook) {
	names := map[string]bool{}
	for i := range hooks {
		h := &hooks[i]
		switch {
		case !webhookName.MatchString(h.Name):
			v.add("name is required: letters, digits, - and _ (it names the webhook's cursor file)", "audit", "webhooks", i, "name")
		case names[h.Name]:
			v.add(fmt.Sprintf("webhook %q is defined twice", h.Name), "audit", "webhooks", i, "name")
		}
		names[h.Name] = true
		if !isHTTPURL(h.URL) {
			v.add(fmt.Sprintf("url %q is not an http:// or https:// URL", h.URL), "audit", "webhooks", i, "url")
		}
		if h.Format != "dbward" && h.Format != "ocsf" {
			v.add(fmt.Sprintf("format %q is not one of dbward, ocsf", h.Format), "audit", "webhooks", i, "format")
		}
		if h.TokenEnv != "" {
			h.Token = v.env(h.TokenEnv, "the webhook's token", "audit", "webhooks", i, "token_env")
		}
	}
}

var webhookName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// approvals checks approvals.url and each notification target, and reads
// the targets' secrets: the endpoint from url_env, the token.
func (v *validator) approvals(a *Approvals) {
	if a.URL != "" && !isHTTPURL(a.URL) {
		v.add(fmt.Sprintf("url %q is not an http:// or https:// URL: give the address people reach dbward's HTTP API at", a.URL), "approvals", "url")
	}
	names := map[string]bool{}
	for i := range a.Notify {
		n := &a.Notify[i]
		at := func(key ...any) []any { return append([]any{"approvals", "notify", i}, key...) }
		switch {
		case !webhookName.MatchString(n.Name):
			v.add("name is required: letters, digits, - and _ (it names the target in dbward's log)", at("name")...)
		case names[n.Name]:
			v.add(fmt.Sprintf("notification target %q is defined twice", n.Name), at("name")...)
		}
		names[n.Name] = true
		switch {
		case (n.URL == "") == (n.URLEnv == ""):
			v.add("give url or url_env, exactly one: the endpoint to POST to (url_env when its URL is a secret, as a Slack webhook's is)", at("url")...)
		case n.URLEnv != "":
			if u := v.env(n.URLEnv, "the endpoint's URL", at("url_env")...); u != "" && !isHTTPURL(string(u)) {
				v.add(fmt.Sprintf("environment variable %s does not hold an http:// or https:// URL", n.URLEnv), at("url_env")...)
			} else {
				n.Endpoint = u
			}
		case !isHTTPURL(n.URL):
			v.add(fmt.Sprintf("url %q is not an http:// or https:// URL", n.URL), at("url")...)
		case strings.EqualFold(hostOf(n.URL), "hooks.slack.com"):
			// (The URL is not repeated: it is the secret.)
			v.add("a Slack incoming webhook's URL is a secret: move it out of the config into an environment variable and name that in url_env", at("url")...)
		default:
			n.Endpoint = Secret(n.URL)
		}
		if n.Format != "json" && n.Format != "slack" {
			v.add(fmt.Sprintf("format %q is not one of json, slack", n.Format), at("format")...)
		}
		if n.TokenEnv != "" {
			n.Token = v.env(n.TokenEnv, "the notification target's token", at("token_env")...)
		}
		for j, e := range n.Events {
			if !slices.Contains(NotifyEvents, e) {
				v.add(fmt.Sprintf("event %q is not one of %s", e, strings.Join(NotifyEvents, ", ")), at("events", j)...)
			}
		}
	}
}

// env returns the secret in environment variable name, which the *_env key
// at path names; what is what to export there, for the message when it is
// empty or unset.
func (v *validator) env(name, what string, path ...any) Secret {
	if !envName.MatchString(name) {
		v.add(fmt.Sprintf("%s must name an environment variable", path[len(path)-1]), path...)
		return ""
	}
	s := v.getenv(name)
	if s == "" {
		v.add(fmt.Sprintf("environment variable %s is empty or unset: export %s there", name, what), path...)
	}
	return Secret(s)
}

// isHTTPURL reports whether s is an http:// or https:// URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// hostOf is the host of URL s, without a port.
func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func (v *validator) address(addr string, path ...any) {
	if addr == "" {
		v.add("address is required (host:port)", path...)
		return
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		v.add(fmt.Sprintf("%q is not host:port", addr), path...)
	}
}

func keyString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

// lineOf finds the deepest node along path and returns its line.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return line
			}
			n = n.Content[p]
			line = n.Line
		}
	}
	return line
}
