package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/dbward/dbward/internal/analyze"
)

// Identity is input.identity.
type Identity struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Groups      []string `json:"groups"`
	Owner       string   `json:"owner"`
	Fingerprint string   `json:"fingerprint"`
}

// Datastore is input.datastore.
type Datastore struct {
	Name        string `json:"name"`
	Engine      string `json:"engine"`
	Environment string `json:"environment"`
}

// Session is input.session.
type Session struct {
	ClientAddr      string `json:"client_addr"`
	ApplicationName string `json:"application_name"`
	InTransaction   bool   `json:"in_transaction"`
}

// Input is the policy input document (DESIGN §6).
type Input struct {
	Identity  Identity           `json:"identity"`
	Datastore Datastore          `json:"datastore"`
	Statement *analyze.Statement `json:"statement"`
	Session   Session            `json:"session"`
	Intent    map[string]string  `json:"intent"`
}

// value builds the input as an OPA value directly, without a JSON round trip.
func (in *Input) value() ast.Value {
	st := in.Statement
	if st == nil {
		st = &analyze.Statement{}
	}
	tables := make([]*ast.Term, len(st.Tables))
	for i, t := range st.Tables {
		tables[i] = ast.ObjectTerm(
			ast.Item(ast.StringTerm("schema"), ast.StringTerm(t.Schema)),
			ast.Item(ast.StringTerm("name"), ast.StringTerm(t.Name)),
			ast.Item(ast.StringTerm("access"), ast.StringTerm(string(t.Access))),
		)
	}
	intent := make([][2]*ast.Term, 0, len(in.Intent))
	for k, v := range in.Intent {
		intent = append(intent, ast.Item(ast.StringTerm(k), ast.StringTerm(v)))
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("identity"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("name"), ast.StringTerm(in.Identity.Name)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(in.Identity.Kind)),
			ast.Item(ast.StringTerm("groups"), stringArray(in.Identity.Groups)),
			ast.Item(ast.StringTerm("owner"), ast.StringTerm(in.Identity.Owner)),
			ast.Item(ast.StringTerm("fingerprint"), ast.StringTerm(in.Identity.Fingerprint)),
		)),
		ast.Item(ast.StringTerm("datastore"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("name"), ast.StringTerm(in.Datastore.Name)),
			ast.Item(ast.StringTerm("engine"), ast.StringTerm(in.Datastore.Engine)),
			ast.Item(ast.StringTerm("environment"), ast.StringTerm(in.Datastore.Environment)),
		)),
		ast.Item(ast.StringTerm("statement"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("text"), ast.StringTerm(st.Text)),
			ast.Item(ast.StringTerm("kind"), ast.StringTerm(string(st.Kind))),
			ast.Item(ast.StringTerm("command"), ast.StringTerm(st.Command)),
			ast.Item(ast.StringTerm("commands"), stringArray(st.Commands)),
			ast.Item(ast.StringTerm("tables"), ast.ArrayTerm(tables...)),
			ast.Item(ast.StringTerm("functions"), stringArray(st.Functions)),
			ast.Item(ast.StringTerm("flags"), stringArray(st.Flags)),
			ast.Item(ast.StringTerm("destructive"), ast.BooleanTerm(st.Destructive)),
			ast.Item(ast.StringTerm("where"), ast.BooleanTerm(st.Where)),
			ast.Item(ast.StringTerm("dynamic"), ast.BooleanTerm(st.Dynamic)),
			ast.Item(ast.StringTerm("fingerprint"), ast.StringTerm(st.Fingerprint)),
			ast.Item(ast.StringTerm("parse_error"), ast.StringTerm(st.ParseError)),
		)),
		ast.Item(ast.StringTerm("session"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("client_addr"), ast.StringTerm(in.Session.ClientAddr)),
			ast.Item(ast.StringTerm("application_name"), ast.StringTerm(in.Session.ApplicationName)),
			ast.Item(ast.StringTerm("in_transaction"), ast.BooleanTerm(in.Session.InTransaction)),
		)),
		ast.Item(ast.StringTerm("intent"), ast.ObjectTerm(intent...)),
	)
}

func stringArray(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}
