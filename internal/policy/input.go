package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/dbward/dbward/internal/analyze"
)

// Identity is input.identity: who runs the statement.
type Identity struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // human | agent | service
	Groups      []string `json:"groups"`
	Owner       string   `json:"owner"`       // the person an agent acts for
	Fingerprint string   `json:"fingerprint"` // what an agent is, e.g. "anthropic/claude-code"
}

// Datastore is input.datastore: where the statement runs.
type Datastore struct {
	Name        string `json:"name"`
	Engine      string `json:"engine"`
	Environment string `json:"environment"` // dev | staging | prod | any label
}

// Session is input.session: the client connection.
type Session struct {
	ClientAddr      string `json:"client_addr"`
	ApplicationName string `json:"application_name"`
	InTransaction   bool   `json:"in_transaction"`
}

// Input is the policy input document of DESIGN §6: one statement, with who
// runs it, where, over which session, and the intent the client declared.
//
// Its Rego form is its JSON form (the json tags here and on
// analyze.Statement), except that lists and intent are never null: absent
// ones are empty.
type Input struct {
	Identity  Identity           `json:"identity"`
	Datastore Datastore          `json:"datastore"`
	Statement *analyze.Statement `json:"statement"` // required
	Session   Session            `json:"session"`
	Intent    map[string]string  `json:"intent"`
}

// Object keys of the input document, and values that recur, made once.
var (
	kIdentity, kDatastore, kStatement, kSession, kIntent = key("identity"), key("datastore"), key("statement"), key("session"), key("intent")

	kName, kKind, kGroups, kOwner, kFingerprint = key("name"), key("kind"), key("groups"), key("owner"), key("fingerprint")
	kEngine, kEnvironment                       = key("engine"), key("environment")
	kClientAddr, kApplicationName, kInTx        = key("client_addr"), key("application_name"), key("in_transaction")

	kText, kCommand, kCommands, kTables, kFunctions, kFlags = key("text"), key("command"), key("commands"), key("tables"), key("functions"), key("flags")
	kDestructive, kWhere, kDynamic, kParseError             = key("destructive"), key("where"), key("dynamic"), key("parse_error")
	kSchema, kAccess                                        = key("schema"), key("access")

	// known holds terms for strings that recur in statement facts.
	known = map[string]*ast.Term{}
)

func key(s string) *ast.Term { return ast.StringTerm(s) }

func init() {
	for _, s := range []string{
		"", "public", "postgres", "prod", "dev", "staging", "human", "agent", "service",
		string(analyze.KindSelect), string(analyze.KindTransaction), string(analyze.KindSet), string(analyze.KindUtility),
		string(analyze.KindInsert), string(analyze.KindCopy), string(analyze.KindUpdate), string(analyze.KindMerge),
		string(analyze.KindDelete), string(analyze.KindCall), string(analyze.KindDDL), string(analyze.KindPrivilege),
		string(analyze.KindUnknown),
		string(analyze.AccessRead), string(analyze.AccessWrite), string(analyze.AccessDDL),
		analyze.FlagCopyProgram, analyze.FlagCopyFile, analyze.FlagAlterSystem, analyze.FlagFileAccess,
		analyze.FlagDynamicSQL, analyze.FlagVolatileFunction, analyze.FlagUnknownPrepared, analyze.FlagUnparsed,
		analyze.FlagLoad,
		"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "BEGIN", "COMMIT", "ROLLBACK", "TRANSACTION",
		"SET", "SHOW", "EXPLAIN", "PREPARE", "EXECUTE", "DO", "CALL",
	} {
		known[s] = ast.StringTerm(s)
	}
}

// str returns a term for s, shared when s is a common value. Terms in the
// input are never modified by evaluation, so sharing them is safe.
func str(s string) *ast.Term {
	if t, ok := known[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// value builds the input document as a Rego value directly: no JSON
// encoding and parsing on the way.
func (in *Input) value() ast.Value {
	st := in.Statement
	tables := make([]*ast.Term, len(st.Tables))
	for i, t := range st.Tables {
		tables[i] = ast.ObjectTerm(
			[2]*ast.Term{kSchema, str(t.Schema)},
			[2]*ast.Term{kName, str(t.Name)},
			[2]*ast.Term{kAccess, str(string(t.Access))},
		)
	}
	stmt := []([2]*ast.Term){
		{kText, ast.StringTerm(st.Text)},
		{kKind, str(string(st.Kind))},
		{kCommand, str(st.Command)},
		{kCommands, stringArray(st.Commands)},
		{kTables, ast.ArrayTerm(tables...)},
		{kFunctions, stringArray(st.Functions)},
		{kFlags, stringArray(st.Flags)},
		{kDestructive, ast.InternedTerm(st.Destructive)},
		{kWhere, ast.InternedTerm(st.Where)},
		{kDynamic, ast.InternedTerm(st.Dynamic)},
		{kFingerprint, ast.StringTerm(st.Fingerprint)},
	}
	if st.ParseError != "" { // omitempty, as in its JSON form
		stmt = append(stmt, [2]*ast.Term{kParseError, ast.StringTerm(st.ParseError)})
	}
	intent := make([][2]*ast.Term, 0, len(in.Intent))
	for k, v := range in.Intent {
		intent = append(intent, [2]*ast.Term{ast.StringTerm(k), ast.StringTerm(v)})
	}
	return ast.NewObject(
		[2]*ast.Term{kIdentity, ast.ObjectTerm(
			[2]*ast.Term{kName, ast.StringTerm(in.Identity.Name)},
			[2]*ast.Term{kKind, str(in.Identity.Kind)},
			[2]*ast.Term{kGroups, stringArray(in.Identity.Groups)},
			[2]*ast.Term{kOwner, str(in.Identity.Owner)},
			[2]*ast.Term{kFingerprint, str(in.Identity.Fingerprint)},
		)},
		[2]*ast.Term{kDatastore, ast.ObjectTerm(
			[2]*ast.Term{kName, ast.StringTerm(in.Datastore.Name)},
			[2]*ast.Term{kEngine, str(in.Datastore.Engine)},
			[2]*ast.Term{kEnvironment, str(in.Datastore.Environment)},
		)},
		[2]*ast.Term{kStatement, ast.ObjectTerm(stmt...)},
		[2]*ast.Term{kSession, ast.ObjectTerm(
			[2]*ast.Term{kClientAddr, ast.StringTerm(in.Session.ClientAddr)},
			[2]*ast.Term{kApplicationName, str(in.Session.ApplicationName)},
			[2]*ast.Term{kInTx, ast.InternedTerm(in.Session.InTransaction)},
		)},
		[2]*ast.Term{kIntent, ast.ObjectTerm(intent...)},
	)
}

// stringArray makes a Rego array of ss; nil gives an empty array.
func stringArray(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = str(s)
	}
	return ast.ArrayTerm(terms...)
}
