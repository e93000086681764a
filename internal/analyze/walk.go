package analyze

import (
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxDepth bounds nesting (DO blocks inside EXECUTE strings inside …).
const maxDepth = 8

type tableKey struct{ schema, name string }

// facts accumulates what one top-level statement will do.
type facts struct {
	kind        Kind
	command     string
	commands    []string
	tables      map[tableKey]Access
	order       []tableKey
	functions   map[string]bool
	flags       map[string]bool
	destructive bool
	unbounded   bool // some DELETE/UPDATE lacks a real condition
	dynamic     bool
	literal     bool // facts depend on literal values
	prepare     string
	execute     string
	ctes        map[string]bool // CTE names: not tables
	depth       int
}

func newFacts() *facts {
	return &facts{kind: KindSelect, tables: map[tableKey]Access{}, functions: map[string]bool{}, flags: map[string]bool{}, ctes: map[string]bool{}}
}

func (f *facts) raise(k Kind) {
	if Rank(k) > Rank(f.kind) {
		f.kind = k
	}
}

func (f *facts) addCommand(tag string) {
	if f.command == "" {
		f.command = tag
	}
	f.commands = append(f.commands, tag)
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

func (f *facts) table(rv *pg.RangeVar, a Access) {
	if rv == nil || rv.Relname == "" {
		return
	}
	k := tableKey{rv.Schemaname, rv.Relname}
	if k.schema == "" && f.ctes[k.name] {
		return
	}
	old, seen := f.tables[k]
	if !seen {
		f.order = append(f.order, k)
	}
	if !seen || accessRank(a) > accessRank(old) {
		f.tables[k] = a
	}
}

func (f *facts) unknown(flag string) {
	f.raise(KindUnknown)
	f.destructive, f.dynamic = true, true
	if flag != "" {
		f.flags[flag] = true
	}
}

// statement converts the accumulated facts.
func (f *facts) statement(text, fingerprint string) Statement {
	s := Statement{
		Text: text, Kind: f.kind, Command: f.command, Commands: f.commands,
		Destructive: f.destructive, Where: !f.unbounded, Dynamic: f.dynamic, Fingerprint: fingerprint,
		Prepare: f.prepare, Execute: f.execute, LiteralSensitive: f.literal,
	}
	for _, k := range f.order {
		s.Tables = append(s.Tables, Table{Schema: k.schema, Name: k.name, Access: f.tables[k]})
	}
	s.Functions = sortedKeys(f.functions)
	s.Flags = sortedKeys(f.flags)
	return s
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// inner returns the message inside a Node's oneof, or nil.
func inner(n *pg.Node) protoreflect.Message {
	if n == nil {
		return nil
	}
	m := n.ProtoReflect()
	od := m.Descriptor().Oneofs().Get(0)
	fd := m.WhichOneof(od)
	if fd == nil {
		return nil
	}
	return m.Get(fd).Message()
}

func typeName(m protoreflect.Message) string { return string(m.Descriptor().Name()) }

// stmt judges a statement node (top level, or nested: CTE bodies,
// EXPLAIN ANALYZE targets, PREPARE bodies, statements in DO blocks).
func (f *facts) stmt(n *pg.Node) {
	m := inner(n)
	if m == nil {
		return
	}
	name := typeName(m)
	f.registerCTEs(m)
	switch s := m.Interface().(type) {
	case *pg.SelectStmt:
		f.addCommand("SELECT")
		if s.IntoClause != nil {
			f.raise(KindDDL)
			f.table(s.IntoClause.Rel, AccessDDL)
		}
		f.walk(m)
	case *pg.InsertStmt:
		f.addCommand("INSERT")
		f.raise(KindInsert)
		f.table(s.Relation, AccessWrite)
		f.walk(m)
	case *pg.UpdateStmt:
		f.addCommand("UPDATE")
		f.raise(KindUpdate)
		f.table(s.Relation, AccessWrite)
		f.bounded(s.WhereClause)
		f.walk(m)
	case *pg.DeleteStmt:
		f.addCommand("DELETE")
		f.raise(KindDelete)
		f.table(s.Relation, AccessWrite)
		f.bounded(s.WhereClause)
		f.walk(m)
	case *pg.MergeStmt:
		f.addCommand("MERGE")
		f.raise(KindMerge)
		f.table(s.Relation, AccessWrite)
		for _, w := range s.MergeWhenClauses {
			if c := w.GetMergeWhenClause(); c != nil && c.CommandType == pg.CmdType_CMD_DELETE {
				f.destructive = true
			}
		}
		f.walk(m)
	case *pg.CopyStmt:
		f.addCommand("COPY")
		f.raise(KindCopy)
		if s.IsFrom {
			f.table(s.Relation, AccessWrite)
		} else {
			f.table(s.Relation, AccessRead)
		}
		switch {
		case s.IsProgram:
			f.flags[FlagCopyProgram] = true
		case s.Filename != "":
			f.flags[FlagCopyFile] = true
		}
		f.walk(m)
	case *pg.ExplainStmt:
		f.addCommand("EXPLAIN")
		f.literal = true // EXPLAIN (ANALYZE false) and (ANALYZE true): keep them apart
		if explainAnalyze(s) {
			f.stmt(s.Query) // it runs
			return
		}
		plain := newFacts()
		plain.depth = f.depth
		plain.stmt(s.Query)
		for _, k := range plain.order {
			f.table(&pg.RangeVar{Schemaname: k.schema, Relname: k.name}, AccessRead)
		}
	case *pg.PrepareStmt:
		f.addCommand("PREPARE")
		f.prepare = s.Name
		f.literal = true // the fingerprint ignores the name
		f.stmt(s.Query)
	case *pg.ExecuteStmt:
		f.addCommand("EXECUTE")
		f.execute = s.Name
		f.literal = true // the fingerprint ignores the name
		f.unknown(FlagUnknownPrepared)
		f.walk(m)
	case *pg.DoStmt:
		f.addCommand("DO")
		f.doBlock(s)
	case *pg.CallStmt:
		f.addCommand("CALL")
		f.raise(KindCall)
		f.walk(m)
	case *pg.DeclareCursorStmt:
		f.addCommand("DECLARE CURSOR")
		f.raise(KindUtility)
		f.stmt(s.Query)
	case *pg.VariableSetStmt:
		f.setStmt(s)
	case *pg.DropStmt:
		f.addCommand("DROP " + objectName(s.RemoveType))
		f.raise(KindDDL)
		f.destructive = true
		if s.RemoveType == pg.ObjectType_OBJECT_TABLE || s.RemoveType == pg.ObjectType_OBJECT_VIEW ||
			s.RemoveType == pg.ObjectType_OBJECT_MATVIEW || s.RemoveType == pg.ObjectType_OBJECT_SEQUENCE ||
			s.RemoveType == pg.ObjectType_OBJECT_FOREIGN_TABLE {
			for _, o := range s.Objects {
				f.table(rangeVarOf(o), AccessDDL)
			}
		}
	case *pg.TruncateStmt:
		f.addCommand("TRUNCATE TABLE")
		f.raise(KindDDL)
		f.destructive = true
		for _, r := range s.Relations {
			f.table(r.GetRangeVar(), AccessDDL)
		}
	case *pg.AlterTableStmt:
		f.addCommand("ALTER " + objectName(s.Objtype))
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL)
		for _, c := range s.Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil {
				switch cmd.Subtype {
				case pg.AlterTableType_AT_DropColumn, pg.AlterTableType_AT_AlterColumnType, pg.AlterTableType_AT_DropConstraint:
					f.destructive = true
				case pg.AlterTableType_AT_ChangeOwner:
					f.raise(KindPrivilege)
				}
			}
		}
		f.walk(m)
	case *pg.RenameStmt:
		f.addCommand("ALTER " + objectName(s.RenameType))
		f.raise(KindDDL)
		f.destructive = true // breaks whatever uses the old name
		f.table(s.Relation, AccessDDL)
	case *pg.AlterSystemStmt:
		f.addCommand("ALTER SYSTEM")
		f.raise(KindDDL)
		f.flags[FlagAlterSystem] = true
	case *pg.LoadStmt:
		f.addCommand("LOAD")
		f.raise(KindUtility)
		f.flags[FlagLoad] = true
	case *pg.CreateTableAsStmt:
		f.addCommand("CREATE " + objectName(s.Objtype))
		f.raise(KindDDL)
		if s.Into != nil {
			f.table(s.Into.Rel, AccessDDL)
		}
		f.walk(m)
	case *pg.CreateStmt:
		f.addCommand("CREATE TABLE")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL)
		f.walk(m)
	case *pg.IndexStmt:
		f.addCommand("CREATE INDEX")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL)
	case *pg.ViewStmt:
		f.addCommand("CREATE VIEW")
		f.raise(KindDDL)
		f.table(s.View, AccessDDL)
		f.walk(m)
	case *pg.CreateFunctionStmt:
		// The body is not run now; what it does is judged when it is called.
		if s.IsProcedure {
			f.addCommand("CREATE PROCEDURE")
		} else {
			f.addCommand("CREATE FUNCTION")
		}
		f.raise(KindDDL)
	default:
		tag, ok := tags[name]
		if !ok {
			tag = strings.ToUpper(strings.TrimSuffix(name, "Stmt"))
		}
		f.addCommand(tag)
		if k, ok := kindOfType[name]; ok {
			f.raise(k)
		} else {
			f.raise(KindDDL)
		}
		if strings.HasPrefix(tag, "DROP ") {
			f.destructive = true
		}
		f.walk(m)
	}
}

// registerCTEs notes the names a WITH clause defines before anything below
// it is walked, so references to them are not taken for tables.
func (f *facts) registerCTEs(m protoreflect.Message) {
	fd := m.Descriptor().Fields().ByName("with_clause")
	if fd == nil || !m.Has(fd) {
		return
	}
	if w, ok := m.Get(fd).Message().Interface().(*pg.WithClause); ok {
		for _, c := range w.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil {
				f.ctes[cte.Ctename] = true
			}
		}
	}
}

func rangeVarOf(n *pg.Node) *pg.RangeVar {
	l := n.GetList()
	if l == nil {
		return nil
	}
	var parts []string
	for _, it := range l.Items {
		parts = append(parts, it.GetString_().GetSval())
	}
	switch len(parts) {
	case 1:
		return &pg.RangeVar{Relname: parts[0]}
	case 2:
		return &pg.RangeVar{Schemaname: parts[0], Relname: parts[1]}
	case 3:
		return &pg.RangeVar{Schemaname: parts[1], Relname: parts[2]}
	}
	return nil
}

func explainAnalyze(s *pg.ExplainStmt) bool {
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d == nil || d.Defname != "analyze" {
			continue
		}
		if d.Arg == nil {
			return true
		}
		switch v := strings.ToLower(constString(d.Arg)); v {
		case "false", "off", "0", "no":
			return false
		}
		if b := d.Arg.GetBoolean(); b != nil {
			return b.Boolval
		}
		return true
	}
	return false
}

// constString returns the text of a string/identifier constant.
func constString(n *pg.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	if c := n.GetAConst(); c != nil {
		if s := c.GetSval(); s != nil {
			return s.Sval
		}
	}
	return ""
}

func (f *facts) setStmt(s *pg.VariableSetStmt) {
	name := strings.ToLower(s.Name)
	privileged := name == "role" || name == "session_authorization"
	switch {
	case s.Kind == pg.VariableSetKind_VAR_RESET || s.Kind == pg.VariableSetKind_VAR_RESET_ALL:
		// Back to the login role dbward connected as: nothing gained.
		f.addCommand("RESET")
		f.raise(KindSet)
	case privileged:
		if name == "role" {
			f.addCommand("SET ROLE")
		} else {
			f.addCommand("SET SESSION AUTHORIZATION")
		}
		f.raise(KindPrivilege)
	default:
		f.addCommand("SET")
		f.raise(KindSet)
	}
}

// bounded records whether a DELETE/UPDATE condition limits the rows: a
// condition that mentions no column (WHERE true, WHERE 1=1) does not.
func (f *facts) bounded(where *pg.Node) {
	if where == nil || !mentionsColumn(where.ProtoReflect()) {
		f.unbounded, f.destructive = true, true
	}
}

func mentionsColumn(m protoreflect.Message) bool {
	switch m.Interface().(type) {
	case *pg.ColumnRef, *pg.CurrentOfExpr:
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = mentionsColumn(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			found = mentionsColumn(v.Message())
		}
		return !found
	})
	return found
}

// walk visits every node below m: tables read, functions called, nested
// data-modifying statements (CTEs), sub-selects.
func (f *facts) walk(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				f.visit(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			f.visit(v.Message())
		}
		return true
	})
}

func (f *facts) visit(m protoreflect.Message) {
	switch n := m.Interface().(type) {
	case *pg.Node:
		im := inner(n)
		if im == nil {
			return
		}
		switch im.Interface().(type) {
		case *pg.InsertStmt, *pg.UpdateStmt, *pg.DeleteStmt, *pg.MergeStmt:
			f.stmt(n) // a data-modifying CTE
		default:
			f.visit(im)
		}
	case *pg.RangeVar:
		f.table(n, AccessRead)
	case *pg.WithClause:
		for _, c := range n.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil {
				f.ctes[cte.Ctename] = true
			}
		}
		f.walk(m)
	case *pg.FuncCall:
		f.call(n)
		f.walk(m)
	default:
		f.walk(m)
	}
}

// call records a function call and what its name alone tells.
func (f *facts) call(fc *pg.FuncCall) {
	var parts []string
	for _, p := range fc.Funcname {
		parts = append(parts, strings.ToLower(p.GetString_().GetSval()))
	}
	name := strings.Join(parts, ".")
	base := parts[len(parts)-1]
	f.functions[name] = true
	if fileFunctions[base] && (len(parts) == 1 || parts[0] == "pg_catalog") {
		f.flags[FlagFileAccess] = true
	}
	if base == "set_config" && len(fc.Args) > 0 {
		f.literal = true
		switch strings.ToLower(constString(fc.Args[0])) {
		case "role", "session_authorization":
			f.raise(KindPrivilege)
		case "":
			f.unknown("") // a computed setting name could be anything
		}
	}
}
