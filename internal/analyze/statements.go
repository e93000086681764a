package analyze

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// stmt judges a statement that runs as a command: a top-level statement,
// the target of EXPLAIN ANALYZE, the body of PREPARE, or a statement
// embedded in a DO block.
func (f *facts) stmt(n *pg.Node) {
	m := nodeInner(n)
	if m == nil {
		return
	}
	f.depth++
	defer func() { f.depth-- }()
	switch s := m.Interface().(type) {
	case *pg.SelectStmt:
		f.selectStmt(s, true)
	case *pg.InsertStmt:
		f.insertStmt(s)
	case *pg.UpdateStmt:
		f.updateStmt(s)
	case *pg.DeleteStmt:
		f.deleteStmt(s)
	case *pg.MergeStmt:
		f.mergeStmt(s)
	case *pg.ExplainStmt:
		f.explain(s)
	case *pg.PrepareStmt:
		f.addCommand("PREPARE")
		f.prepare = s.Name
		f.fpBlind = true // the fingerprint ignores the name
		f.stmt(s.Query)
	case *pg.ExecuteStmt:
		// What runs is what the session prepared under that name; only the
		// session knows it (see Statement.Execute).
		f.addCommand("EXECUTE")
		f.execute = s.Name
		f.fpBlind = true
		f.unknown(FlagUnknownPrepared)
		f.walk(m)
	case *pg.DeallocateStmt:
		if s.Isall || s.Name == "" {
			f.addCommand("DEALLOCATE ALL")
			f.deallocate = "*"
		} else {
			f.addCommand("DEALLOCATE")
			f.deallocate = s.Name
		}
		f.fpBlind = true
		f.raise(KindUtility)
	case *pg.DoStmt:
		f.addCommand("DO")
		f.doBlock(s)
	case *pg.CallStmt:
		// The procedure is in Functions; Resolve asks the catalog about it.
		f.addCommand("CALL")
		f.raise(KindCall)
		f.walk(m)
	case *pg.CopyStmt:
		f.copyStmt(s)
	case *pg.DeclareCursorStmt:
		f.addCommand("DECLARE CURSOR")
		f.raise(KindUtility)
		f.visit(s.Query.ProtoReflect())
	case *pg.FetchStmt:
		if s.Ismove {
			f.addCommand("MOVE")
		} else {
			f.addCommand("FETCH")
		}
		f.raise(KindUtility)
	case *pg.ClosePortalStmt:
		if s.Portalname == "" {
			f.addCommand("CLOSE CURSOR ALL")
		} else {
			f.addCommand("CLOSE CURSOR")
		}
		f.raise(KindUtility)
	case *pg.TransactionStmt:
		f.addCommand(transactionTag(s.Kind))
		f.raise(KindTransaction)
	case *pg.VariableSetStmt:
		f.setStmt(s)
	case *pg.DiscardStmt:
		f.addCommand("DISCARD " + strings.TrimPrefix(s.Target.String(), "DISCARD_"))
		if s.Target == pg.DiscardMode_DISCARD_ALL {
			f.deallocate = "*" // (DISCARD ALL deallocates every prepared statement)
		}
		f.raise(KindSet)
	case *pg.LockStmt:
		f.addCommand("LOCK TABLE")
		f.raise(KindUtility)
		f.walk(m)
	case *pg.VacuumStmt:
		if s.IsVacuumcmd {
			f.addCommand("VACUUM")
		} else {
			f.addCommand("ANALYZE")
		}
		f.raise(KindUtility)
		f.walk(m)
	case *pg.LoadStmt:
		f.addCommand("LOAD")
		f.raise(KindUtility)
		f.flag(FlagLoad)
	case *pg.AlterSystemStmt:
		f.addCommand("ALTER SYSTEM")
		f.raise(KindDDL)
		f.flag(FlagAlterSystem)
	case *pg.GrantStmt:
		f.grant(s)
	case *pg.GrantRoleStmt:
		if s.IsGrant {
			f.addCommand("GRANT ROLE")
		} else {
			f.addCommand("REVOKE ROLE")
		}
		f.raise(KindPrivilege)
	case *pg.AlterOwnerStmt:
		f.addCommand(alterTag(s.ObjectType))
		f.raise(KindPrivilege)
		f.table(s.Relation, AccessDDL, false)
	default:
		if !f.ddl(m) {
			f.other(m)
		}
	}
}

// other judges statements whose tag and kind do not depend on their
// fields. A statement type this package does not know is unknown.
func (f *facts) other(m protoreflect.Message) {
	name := string(m.Descriptor().Name())
	if t, ok := fixedTags[name]; ok {
		f.addCommand(t.tag)
		f.raise(t.kind)
		f.walk(m)
		return
	}
	if t, ok := droppingTags[name]; ok {
		f.addCommand(t.tag)
		f.raise(t.kind)
		f.destructive = true
		return
	}
	f.addCommand(strings.ToUpper(strings.TrimSuffix(name, "Stmt")))
	f.unknown("")
}

func transactionTag(k pg.TransactionStmtKind) string {
	switch k {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN:
		return "BEGIN"
	case pg.TransactionStmtKind_TRANS_STMT_START:
		return "START TRANSACTION"
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		return "COMMIT"
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK"
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT"
	case pg.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "RELEASE"
	case pg.TransactionStmtKind_TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION"
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED"
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED"
	}
	return "TRANSACTION"
}

// explain judges EXPLAIN. EXPLAIN ANALYZE runs its statement, so it has
// that statement's facts. Plain EXPLAIN only plans it: a read of the
// tables it names, nothing else (the planner runs no volatile function).
func (f *facts) explain(s *pg.ExplainStmt) {
	f.addCommand("EXPLAIN")
	if f.explainAnalyze(s) {
		f.stmt(s.Query)
		return
	}
	f.raise(KindSelect)
	plan := &facts{kind: KindSelect, nesting: f.nesting, depth: f.depth}
	plan.stmt(s.Query)
	for _, t := range plan.tables {
		f.addTable(t.Schema, t.Name, AccessRead)
	}
	f.fpBlind = f.fpBlind || plan.fpBlind
	f.literal = f.literal || plan.literal
}

// explainAnalyze reports whether EXPLAIN's options make it run the
// statement. As in PostgreSQL, the last ANALYZE option wins; its value is
// read as defGetBoolean does, and anything but a clear false counts as
// true. A value may be a string literal (ANALYZE 'off'), so reading one
// makes the facts literal-dependent.
func (f *facts) explainAnalyze(s *pg.ExplainStmt) bool {
	analyze := false
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d == nil || d.Defname != "analyze" {
			continue
		}
		if d.Arg == nil {
			analyze = true
			continue
		}
		f.literal = true
		switch {
		case d.Arg.GetInteger() != nil:
			analyze = d.Arg.GetInteger().Ival != 0
		case d.Arg.GetBoolean() != nil:
			analyze = d.Arg.GetBoolean().Boolval
		default:
			v, _ := stringValue(d.Arg)
			switch strings.ToLower(v) {
			case "false", "off", "0":
				analyze = false
			default:
				analyze = true
			}
		}
	}
	return analyze
}

// stringValue returns the text of a string node or string constant
// (possibly cast: 'x'::text).
func stringValue(n *pg.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	if s := n.GetString_(); s != nil {
		return s.Sval, true
	}
	if tc := n.GetTypeCast(); tc != nil {
		return stringValue(tc.Arg)
	}
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		return c.GetSval().Sval, true
	}
	return "", false
}

// nested judges SQL text found inside a statement (a DO body's statements,
// an EXECUTE string) as statements that run now.
func (f *facts) nested(sql string) {
	if f.nesting >= maxNesting {
		f.unknown(FlagDynamicSQL)
		return
	}
	tree, err := pg.Parse(sql)
	if err != nil {
		f.unknown(FlagDynamicSQL) // the server would refuse it too; still, no guessing
		return
	}
	f.nesting++
	saved := f.scopes
	f.scopes = nil // embedded statements see no CTE of the outer one
	for _, rs := range tree.Stmts {
		f.stmt(rs.Stmt)
	}
	f.scopes = saved
	f.nesting--
}
