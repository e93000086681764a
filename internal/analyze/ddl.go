package analyze

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ddl judges statements that define, change or drop objects, and reports
// whether m was one. Destructive: every DROP, TRUNCATE, ALTER … DROP
// COLUMN / ALTER COLUMN TYPE / DROP CONSTRAINT, every RENAME, and ALTER …
// SET SCHEMA (which, like a rename, takes the object away from the name
// its users know). Bodies that do not run now — of functions, procedures,
// rules, triggers — are not judged; what they do is judged when they run.
func (f *facts) ddl(m protoreflect.Message) bool {
	switch s := m.Interface().(type) {
	case *pg.DropStmt:
		f.addCommand(dropTag(s.RemoveType))
		f.raise(KindDDL)
		f.destructive = true
		if relationObject(s.RemoveType) {
			for _, o := range s.Objects {
				f.table(qualifiedName(o), AccessDDL, false)
			}
		}
	case *pg.TruncateStmt:
		f.addCommand("TRUNCATE TABLE")
		f.raise(KindDDL)
		f.destructive = true
		for _, r := range s.Relations {
			f.table(r.GetRangeVar(), AccessDDL, false)
		}
	case *pg.AlterTableStmt:
		f.addCommand(alterTag(s.Objtype))
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
		for _, c := range s.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			switch cmd.Subtype {
			case pg.AlterTableType_AT_DropColumn, pg.AlterTableType_AT_AlterColumnType, pg.AlterTableType_AT_DropConstraint:
				f.destructive = true
			case pg.AlterTableType_AT_ChangeOwner,
				pg.AlterTableType_AT_EnableRowSecurity, pg.AlterTableType_AT_DisableRowSecurity,
				pg.AlterTableType_AT_ForceRowSecurity, pg.AlterTableType_AT_NoForceRowSecurity:
				f.raise(KindPrivilege) // who owns it, and who sees which rows
			}
		}
		f.walk(m, "relation")
	case *pg.RenameStmt:
		if s.RenameType == pg.ObjectType_OBJECT_COLUMN {
			f.addCommand(alterTag(s.RelationType))
		} else {
			f.addCommand(alterTag(s.RenameType))
		}
		if s.RenameType == pg.ObjectType_OBJECT_ROLE {
			f.raise(KindPrivilege)
		} else {
			f.raise(KindDDL)
		}
		f.destructive = true // whatever uses the old name breaks
		f.table(s.Relation, AccessDDL, false)
	case *pg.AlterObjectSchemaStmt:
		f.addCommand(alterTag(s.ObjectType))
		f.raise(KindDDL)
		f.destructive = true
		f.table(s.Relation, AccessDDL, false)
	case *pg.AlterObjectDependsStmt:
		f.addCommand(alterTag(s.ObjectType))
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
	case *pg.AlterTableMoveAllStmt:
		f.addCommand(alterTag(s.Objtype))
		f.raise(KindDDL)
	case *pg.CreateStmt:
		f.addCommand("CREATE TABLE")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
		f.walk(m, "relation")
	case *pg.CreateForeignTableStmt:
		f.addCommand("CREATE FOREIGN TABLE")
		f.raise(KindDDL)
		if s.BaseStmt != nil {
			f.table(s.BaseStmt.Relation, AccessDDL, false)
			f.walk(s.BaseStmt.ProtoReflect(), "relation")
		}
	case *pg.CreateTableAsStmt:
		switch {
		case s.Objtype == pg.ObjectType_OBJECT_MATVIEW:
			f.addCommand("CREATE MATERIALIZED VIEW")
		case s.IsSelectInto:
			f.addCommand("SELECT INTO")
		default:
			f.addCommand("CREATE TABLE AS")
		}
		f.raise(KindDDL)
		if s.Into != nil {
			f.table(s.Into.Rel, AccessDDL, false)
		}
		if s.Query != nil {
			f.visit(s.Query.ProtoReflect())
		}
	case *pg.ViewStmt:
		f.addCommand("CREATE VIEW")
		f.raise(KindDDL)
		f.table(s.View, AccessDDL, false)
		f.walk(m, "view")
	case *pg.IndexStmt:
		f.addCommand("CREATE INDEX")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
		f.walk(m, "relation")
	case *pg.CreateSeqStmt:
		f.addCommand("CREATE SEQUENCE")
		f.raise(KindDDL)
		f.table(s.Sequence, AccessDDL, false)
	case *pg.AlterSeqStmt:
		f.addCommand("ALTER SEQUENCE")
		f.raise(KindDDL)
		f.table(s.Sequence, AccessDDL, false)
	case *pg.CreateSchemaStmt:
		f.addCommand("CREATE SCHEMA")
		f.raise(KindDDL)
		for _, e := range s.SchemaElts {
			f.stmt(e)
		}
	case *pg.CreateFunctionStmt:
		if s.IsProcedure {
			f.addCommand("CREATE PROCEDURE")
		} else {
			f.addCommand("CREATE FUNCTION")
		}
		f.raise(KindDDL)
	case *pg.AlterFunctionStmt:
		f.addCommand(alterTag(s.Objtype))
		f.raise(KindDDL)
	case *pg.CreateTrigStmt:
		f.addCommand("CREATE TRIGGER")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
	case *pg.RuleStmt:
		f.addCommand("CREATE RULE")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
	case *pg.CreatePolicyStmt:
		// Row-level security decides who sees which rows: a privilege.
		f.addCommand("CREATE POLICY")
		f.raise(KindPrivilege)
		f.table(s.Table, AccessDDL, false)
	case *pg.AlterPolicyStmt:
		f.addCommand("ALTER POLICY")
		f.raise(KindPrivilege)
		f.table(s.Table, AccessDDL, false)
	case *pg.DefineStmt:
		if w, ok := objectWords[s.Kind]; ok {
			f.addCommand("CREATE " + w)
		} else {
			f.addCommand("CREATE")
		}
		f.raise(KindDDL)
	case *pg.ClusterStmt:
		f.addCommand("CLUSTER")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
	case *pg.ReindexStmt:
		f.addCommand("REINDEX")
		f.raise(KindDDL)
		f.table(s.Relation, AccessDDL, false)
	case *pg.RefreshMatViewStmt:
		f.addCommand("REFRESH MATERIALIZED VIEW")
		f.raise(KindDDL)
		f.table(s.Relation, AccessWrite, false)
	default:
		return false
	}
	return true
}

// qualifiedName reads a [[catalog.]schema.]name list as a RangeVar.
func qualifiedName(n *pg.Node) *pg.RangeVar {
	l := n.GetList()
	if l == nil {
		return nil
	}
	parts := make([]string, 0, 3)
	for _, it := range l.Items {
		parts = append(parts, it.GetString_().GetSval())
	}
	switch len(parts) {
	case 1:
		return &pg.RangeVar{Relname: parts[0]}
	case 2:
		return &pg.RangeVar{Schemaname: parts[0], Relname: parts[1]}
	case 3:
		return &pg.RangeVar{Catalogname: parts[0], Schemaname: parts[1], Relname: parts[2]}
	}
	return nil
}
