package analyze

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// facts accumulates what one top-level statement will do while its tree
// (and any SQL embedded in it) is walked.
type facts struct {
	kind        Kind
	command     string // tag of the outer statement
	commands    []string
	tables      []Table
	functions   []string
	flags       []string
	destructive bool
	unbounded   bool // some DELETE/UPDATE/MERGE lacks a real condition
	dynamic     bool
	prepare     string
	execute     string
	copyOut     *CopyOut // the top-level COPY … TO STDOUT's format
	deallocate  string   // the prepared statement a DEALLOCATE drops, "*" for all

	// literal is set when a fact was read from a literal value: such facts
	// may differ between texts of one shape or fingerprint.
	literal bool
	// fpBlind is set when a fact depends on something the pg_query
	// fingerprint leaves out (digit runs in table names, temporary table
	// names, nodes nested too deep): such facts may differ between texts
	// of one fingerprint, though not between texts of one shape.
	fpBlind bool

	scopes  [][]string // CTE names visible where the walk is, innermost last
	nesting int        // how deep in embedded SQL (DO bodies, EXECUTE strings)
	depth   int        // message depth of the walk
}

func newFacts() *facts { return &facts{kind: KindSelect} }

// raise makes k the kind if it ranks above the current one.
func (f *facts) raise(k Kind) {
	if Rank(k) > Rank(f.kind) {
		f.kind = k
	}
}

// addCommand records a command that will run; the first is the outer one.
func (f *facts) addCommand(tag string) {
	if f.command == "" {
		f.command = tag
	}
	f.commands = append(f.commands, tag)
}

func (f *facts) flag(name string) {
	if !slices.Contains(f.flags, name) {
		f.flags = append(f.flags, name)
	}
}

// unknown records an effect that cannot be known from the text: the most
// dangerous kind, destructive, dynamic, and not known to be bounded by a
// condition (Where false).
func (f *facts) unknown(flag string) {
	f.raise(KindUnknown)
	f.destructive, f.dynamic, f.unbounded = true, true, true
	if flag != "" {
		f.flag(flag)
	}
}

func accessRank(a Access) int {
	switch a {
	case AccessRead:
		return 0
	case AccessWrite:
		return 1
	}
	return 2
}

// table records a table touched with access a, keeping the strongest
// access per table. References to CTEs in scope are not tables; only
// reads can refer to CTEs, so callers pass cte=true only for reads.
func (f *facts) table(rv *pg.RangeVar, a Access, cte bool) {
	if rv == nil || rv.Relname == "" {
		return
	}
	if rv.Schemaname == "" && cte && f.isCTE(rv.Relname) {
		return
	}
	if rv.Relpersistence == "t" || hasDigitRun(rv.Relname) {
		f.fpBlind = true // the fingerprint drops these names
	}
	f.addTable(rv.Schemaname, rv.Relname, a)
}

func (f *facts) addTable(schema, name string, a Access) {
	for i := range f.tables {
		t := &f.tables[i]
		if t.Schema == schema && t.Name == name {
			if accessRank(a) > accessRank(t.Access) {
				t.Access = a
			}
			return
		}
	}
	f.tables = append(f.tables, Table{Schema: schema, Name: name, Access: a})
}

// hasDigitRun reports whether s has two digits in a row: pg_query's
// fingerprint drops such runs from table names (orders_2024 and
// orders_2025 fingerprint alike).
func hasDigitRun(s string) bool {
	for i := 1; i < len(s); i++ {
		if isDigit(s[i]) && isDigit(s[i-1]) {
			return true
		}
	}
	return false
}

func (f *facts) isCTE(name string) bool {
	for _, sc := range f.scopes {
		if slices.Contains(sc, name) {
			return true
		}
	}
	return false
}

func (f *facts) function(name string) {
	if !slices.Contains(f.functions, name) {
		f.functions = append(f.functions, name)
	}
}

// statement converts the facts. Lists are sorted (tables by schema and
// name), so that texts of one shape or fingerprint give equal facts
// whatever order their parts were written in.
func (f *facts) statement(text, fingerprint string) Statement {
	if f.command == "" {
		f.unknown("") // nothing was recognised: never pass it off as a read
		f.command = "UNKNOWN"
		f.commands = []string{"UNKNOWN"}
	}
	slices.SortFunc(f.tables, func(a, b Table) int {
		if c := strings.Compare(a.Schema, b.Schema); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	slices.Sort(f.functions)
	slices.Sort(f.flags)
	return Statement{
		Text: text, Redacted: Redact(text), Kind: f.kind, Command: f.command, Commands: f.commands,
		Tables: f.tables, Functions: f.functions, Flags: f.flags,
		Destructive: f.destructive, Where: !f.unbounded, Dynamic: f.dynamic,
		Fingerprint: fingerprint, Prepare: f.prepare, Execute: f.execute, CopyOut: f.copyOut, Deallocate: f.deallocate,
		LiteralSensitive: f.literal || f.fpBlind,
	}
}
