// Package config loads, defaults and validates dbward.yaml (DESIGN §4).
//
// Load is the only way to make a valid Config: it applies the defaults
// written next to each field and reports every problem with the file, line,
// key and the fix.
package config

// Config is dbward.yaml.
type Config struct {
	Listen     Listen      `yaml:"listen"`
	TLS        TLS         `yaml:"tls"`
	Datastores []Datastore `yaml:"datastores"`
	Identities []Identity  `yaml:"identities"`
	Policy     Policy      `yaml:"policy"`
	Audit      Audit       `yaml:"audit"`
	Masking    Masking     `yaml:"masking"`
	Approvals  Approvals   `yaml:"approvals"`

	// Path is the file the config was loaded from; relative paths inside it
	// (policy.paths, audit.dir, tls.cert, tls.key) are resolved against its
	// directory by Load.
	Path string `yaml:"-"`
}

// Listen holds the addresses dbward serves on.
type Listen struct {
	Postgres string `yaml:"postgres"` // default 127.0.0.1:6432
	HTTP     string `yaml:"http"`     // default 127.0.0.1:8080
}

// TLS is the client-facing TLS setup.
type TLS struct {
	Cert    string `yaml:"cert"`    // PEM file; empty with Key empty: self-signed, generated at start
	Key     string `yaml:"key"`     // PEM file
	Require bool   `yaml:"require"` // default false; true refuses clients that do not use TLS
}

// Datastore is one database clients can reach by name.
type Datastore struct {
	Name        string   `yaml:"name"`        // clients put this in database=
	Engine      string   `yaml:"engine"`      // default postgres (the only engine so far)
	Environment string   `yaml:"environment"` // default prod: an unlabelled datastore gets the strictest guardrails
	Upstream    Upstream `yaml:"upstream"`
}

// Upstream is how dbward reaches the real database, with its own credentials.
type Upstream struct {
	Address     string `yaml:"address"`      // host:port, required
	Database    string `yaml:"database"`     // default: the datastore's name
	User        string `yaml:"user"`         // required
	PasswordEnv string `yaml:"password_env"` // environment variable holding the password; empty: no password (trust)
	TLS         string `yaml:"tls"`          // disable | prefer | require | verify-full; default prefer
	CACert      string `yaml:"ca_cert"`      // PEM file for verify-full

	// Password is read from PasswordEnv by Load. It is never printed.
	Password Secret `yaml:"-"`
}

// Identity is a person, agent or service that may connect.
type Identity struct {
	Name        string   `yaml:"name"`         // clients put this in user=
	Kind        string   `yaml:"kind"`         // human | agent | service; default human
	Groups      []string `yaml:"groups"`       //
	Owner       string   `yaml:"owner"`        // agents: the person they act for (required for agents)
	Fingerprint string   `yaml:"fingerprint"`  // agents: what software it is, e.g. anthropic/claude-code
	TokenSHA256 string   `yaml:"token_sha256"` // hex SHA-256 of the token; or
	TokenEnv    string   `yaml:"token_env"`    // environment variable holding the token (enables SCRAM-SHA-256)

	// Token is read from TokenEnv by Load. It is never printed.
	Token Secret `yaml:"-"`
}

// Policy configures the Rego policies.
type Policy struct {
	Paths []string `yaml:"paths"` // .rego files or directories, merged with the built-in guardrails
}

// Audit configures the audit trail.
type Audit struct {
	Dir      string    `yaml:"dir"`      // default ./data/audit, relative to the config file
	Webhooks []Webhook `yaml:"webhooks"` // where records are also sent, e.g. a SIEM
}

// Masking says which columns hold sensitive data beyond what their names
// suggest, and keys the masks that must be repeatable (token, fake, hash).
// How each identity sees each classification is policy (see the README).
type Masking struct {
	// Columns classifies columns: "datastore.schema.table.column" →
	// a classification (MaskingClasses), or "none" for a column whose name
	// suggests a classification it does not hold.
	Columns map[string]string `yaml:"columns"`
	// KeyFile holds the masking key (32 random bytes, created on first
	// start). Default: mask.key beside audit.dir, relative to the config file.
	KeyFile string `yaml:"key_file"`
}

// MaskingClasses are the classifications masking.columns may name (those
// of package mask/detect; a test there keeps the two lists equal).
var MaskingClasses = []string{"email", "phone", "person_name", "national_id", "card_number", "iban", "secret", "address", "date_of_birth", "ip_address"}

// Webhook is an HTTP endpoint that receives every audit record, in order,
// as JSON lines POSTed in batches.
type Webhook struct {
	Name     string `yaml:"name"`      // names its cursor in audit.dir/sinks
	URL      string `yaml:"url"`       // http:// or https://
	Format   string `yaml:"format"`    // dbward (the records as they are; default) or ocsf
	TokenEnv string `yaml:"token_env"` // optional: sent as "Authorization: Bearer <token>"
	Token    Secret `yaml:"-"`         // resolved from TokenEnv
}

// Approvals configures what people are told of approval requests (policy
// says which statements need one).
type Approvals struct {
	// URL is where people reach this dbward's HTTP API, e.g.
	// https://dbward.example.com: notifications link to a request at
	// URL/api/v1/approvals/<id>. Empty: no links.
	URL    string   `yaml:"url"`
	Notify []Notify `yaml:"notify"` // who is told of requests
}

// NotifyEvents are the changes of a request that approvals.notify[].events
// may name (package approval/notify maps request states to them; a test
// there keeps the two lists equal).
var NotifyEvents = []string{"created", "approved", "denied", "expired", "withdrawn", "used"}

// Notify is an HTTP endpoint told of approval requests as they are created
// and decided — a Slack channel, a chat-ops bot — best effort: a message
// that cannot be delivered after a few tries is logged and dropped.
type Notify struct {
	Name     string   `yaml:"name"`      // names it in dbward's log
	URL      string   `yaml:"url"`       // http:// or https://; or
	URLEnv   string   `yaml:"url_env"`   // environment variable holding the URL (a Slack webhook's URL is a secret)
	Format   string   `yaml:"format"`    // json (default) or slack (an incoming-webhook message)
	TokenEnv string   `yaml:"token_env"` // optional: sent as "Authorization: Bearer <token>"
	Events   []string `yaml:"events"`    // of NotifyEvents; default [created]

	Endpoint Secret `yaml:"-"` // the URL, from URL or URLEnv
	Token    Secret `yaml:"-"` // resolved from TokenEnv
}

// Secret is a string that never prints itself.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return "[redacted]" }

// MarshalText keeps secrets out of any encoding of a Config.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Datastore returns the datastore named name.
func (c *Config) Datastore(name string) (*Datastore, bool) {
	for i := range c.Datastores {
		if c.Datastores[i].Name == name {
			return &c.Datastores[i], true
		}
	}
	return nil, false
}
