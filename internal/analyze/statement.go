package analyze

import "github.com/dbward/dbward/internal/lineage"

// Kind is the effective kind of a statement: what it will do when it runs,
// not its outer form. A DO block that drops a table is KindDDL; EXPLAIN
// ANALYZE DELETE is KindDelete; a data-modifying CTE is the kind of its most
// dangerous part.
type Kind string

// Kinds, in the order of danger used when a statement contains several
// operations (the highest wins; see Rank).
const (
	KindSelect      Kind = "select"      // reads only (SELECT, TABLE, VALUES, SHOW, plain EXPLAIN)
	KindTransaction Kind = "transaction" // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, …
	KindSet         Kind = "set"         // SET/RESET of ordinary settings, DISCARD
	KindUtility     Kind = "utility"     // LISTEN, NOTIFY, DECLARE/FETCH/CLOSE, PREPARE w/o body, LOCK, VACUUM, ANALYZE, CHECKPOINT, …
	KindInsert      Kind = "insert"
	KindCopy        Kind = "copy" // COPY; tables carry read (TO) or write (FROM) access
	KindUpdate      Kind = "update"
	KindMerge       Kind = "merge"
	KindDelete      Kind = "delete"
	KindCall        Kind = "call"      // CALL of a procedure (effect unknown unless resolved)
	KindDDL         Kind = "ddl"       // CREATE/ALTER/DROP/TRUNCATE/COMMENT/REINDEX/CLUSTER/…
	KindPrivilege   Kind = "privilege" // GRANT/REVOKE, CREATE/ALTER/DROP ROLE, SET ROLE, SET SESSION AUTHORIZATION, ALTER DEFAULT PRIVILEGES, …
	KindUnknown     Kind = "unknown"   // cannot be known (unparsed, dynamic SQL, unknown prepared name): treat as the most dangerous
)

// Access is how a statement touches a table.
type Access string

const (
	AccessRead  Access = "read"
	AccessWrite Access = "write"
	AccessDDL   Access = "ddl"
)

// Table is one table (or view, sequence, …) a statement touches.
// Schema is empty when the statement did not qualify the name.
type Table struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Access Access `json:"access"`
}

// Flags name facts the built-in guardrails key on.
const (
	FlagCopyProgram      = "copy_program"      // COPY … TO/FROM PROGRAM
	FlagCopyFile         = "copy_file"         // server-side COPY … TO/FROM 'file'
	FlagAlterSystem      = "alter_system"      // ALTER SYSTEM
	FlagFileAccess       = "file_access"       // superuser file/large-object functions: pg_read_file, lo_import, …
	FlagDynamicSQL       = "dynamic_sql"       // EXECUTE of a string only known at run time
	FlagVolatileFunction = "volatile_function" // call to a function that may write (set by Resolve)
	FlagUnknownPrepared  = "unknown_prepared"  // EXECUTE of a prepared statement the session does not know
	FlagUnparsed         = "unparsed"          // the text could not be parsed
	FlagLoad             = "load"              // LOAD 'library'
	FlagSyntaxChange     = "syntax_change"     // SET standard_conforming_strings off, or a client_encoding such as SJIS: the server would read later text differently from dbward
)

// Statement is what analysis knows about one statement of a query string.
// Its JSON form is input.statement of the policy contract (DESIGN §6).
type Statement struct {
	Text        string   `json:"text"`        // this statement's own text, trimmed, from the query string
	Redacted    string   `json:"-"`           // Redact(Text), worked out once per cached analysis: what the audit trail keeps by default
	Kind        Kind     `json:"kind"`        // effective kind (see Kind)
	Command     string   `json:"command"`     // command tag of the outer statement: "SELECT", "DELETE", "DROP TABLE", "DO", "EXPLAIN", …
	Commands    []string `json:"commands"`    // every command that will run, inner ones included ("DO", "DROP TABLE")
	Tables      []Table  `json:"tables"`      // every table touched, with the strongest access per table
	Functions   []string `json:"functions"`   // functions called, lower-case, "schema.name" when qualified
	Flags       []string `json:"flags"`       // facts for guardrails (Flag* constants), sorted, unique
	Destructive bool     `json:"destructive"` // DROP, TRUNCATE, unbounded DELETE/UPDATE/MERGE, ALTER … DROP COLUMN / TYPE, unknown effect
	Where       bool     `json:"where"`       // every DELETE/UPDATE/MERGE in it is bounded by a real (non-constant) condition; true for statements without one, false when the effect is unknown
	Dynamic     bool     `json:"dynamic"`     // contains SQL whose text is only known at run time
	Fingerprint string   `json:"fingerprint"` // pg_query fingerprint, 16 hex digits ("" when unparsed)
	ParseError  string   `json:"parse_error,omitempty"`

	// Lineage is where the result's columns come from, for masking
	// (nil: the statement returns no rows dbward can trace).
	Lineage *lineage.Query `json:"-"`
	// CopyOut is how a COPY … TO STDOUT writes its rows (nil: not one).
	CopyOut *CopyOut `json:"-"`
	// Cursor is the name a DECLARE gives the cursor whose rows have its
	// Lineage; Fetch is the cursor a FETCH reads (the session hands it
	// the DECLARE's lineage).
	Cursor, Fetch string `json:"-"`
	// CloseCursor is the cursor a CLOSE closes ("*": all).
	CloseCursor string `json:"-"`

	// Prepare is the name a SQL-level PREPARE defines (its facts are those of
	// the prepared body); Execute is the name a SQL-level EXECUTE runs. The
	// session resolves Execute against what it saw prepared.
	Prepare string `json:"-"`
	Execute string `json:"-"`
	// Deallocate is the prepared statement a DEALLOCATE drops ("*": all of
	// them, as DISCARD ALL does too).
	Deallocate string `json:"-"`

	// LiteralSensitive is true when the facts depend on literal values (a DO
	// body, an EXECUTE string, set_config('role', …)) or on something the
	// fingerprint leaves out (digit runs in table names, temporary table
	// names, PREPARE/EXECUTE names, nodes nested deeper than it reads), so
	// they may not be shared with other texts of the same fingerprint.
	LiteralSensitive bool `json:"-"`
}
