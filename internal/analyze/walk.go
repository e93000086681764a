package analyze

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxNesting bounds SQL embedded in SQL (a DO block that EXECUTEs a string
// holding a DO block …); deeper nesting is judged unknown.
const maxNesting = 8

// maxFingerprintDepth is the walk depth (protobuf messages, Node wrappers
// included) beyond which the pg_query fingerprint may not cover a node:
// the fingerprint stops at 100 C nodes deep, and a protobuf path is never
// shorter than the C path it mirrors. Facts found deeper are fpBlind.
const maxFingerprintDepth = 90

// nodeInner returns the message inside a Node's oneof, or nil.
func nodeInner(n *pg.Node) protoreflect.Message {
	if n == nil {
		return nil
	}
	m := n.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().Get(0))
	if fd == nil {
		return nil
	}
	return m.Get(fd).Message()
}

// walk visits the children of m, except the fields named in skip.
func (f *facts) walk(m protoreflect.Message, skip ...protoreflect.Name) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		for _, s := range skip {
			if fd.Name() == s {
				return true
			}
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				f.visit(l.Get(i).Message())
			}
		} else {
			f.visit(v.Message())
		}
		return true
	})
}

// visit judges one node met inside a statement: nested data-modifying
// statements (CTEs), sub-selects with their own CTE scope, tables read,
// functions called.
func (f *facts) visit(m protoreflect.Message) {
	f.depth++
	if f.depth > maxFingerprintDepth {
		f.fpBlind = true
	}
	switch n := m.Interface().(type) {
	case *pg.Node:
		if in := nodeInner(n); in != nil {
			f.visit(in)
		}
	case *pg.SelectStmt:
		f.selectStmt(n, false)
	case *pg.InsertStmt:
		f.insertStmt(n)
	case *pg.UpdateStmt:
		f.updateStmt(n)
	case *pg.DeleteStmt:
		f.deleteStmt(n)
	case *pg.MergeStmt:
		f.mergeStmt(n)
	case *pg.RangeVar:
		f.table(n, AccessRead, true)
	case *pg.FuncCall:
		f.call(n)
		f.walk(m)
	default:
		f.walk(m)
	}
	f.depth--
}

// withScope runs body with the names of w's CTEs in scope, after judging
// the CTE bodies. A CTE of a plain WITH sees the CTEs before it; one of a
// WITH RECURSIVE sees them all, itself included.
func (f *facts) withScope(w *pg.WithClause, body func()) {
	if w == nil {
		body()
		return
	}
	f.scopes = append(f.scopes, nil)
	top := len(f.scopes) - 1
	if w.Recursive {
		for _, c := range w.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil {
				f.scopes[top] = append(f.scopes[top], cte.Ctename)
			}
		}
	}
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if cte == nil {
			continue
		}
		f.visit(cte.ProtoReflect())
		if !w.Recursive {
			f.scopes[top] = append(f.scopes[top], cte.Ctename)
		}
	}
	body()
	f.scopes = f.scopes[:top]
}

// selectStmt judges a SELECT; command is true when it is a statement of
// its own rather than a sub-select.
func (f *facts) selectStmt(s *pg.SelectStmt, command bool) {
	if command {
		f.addCommand("SELECT")
	}
	f.withScope(s.WithClause, func() {
		if s.IntoClause != nil { // SELECT … INTO creates a table
			f.raise(KindDDL)
			f.table(s.IntoClause.Rel, AccessDDL, false)
		}
		f.walk(s.ProtoReflect(), "with_clause", "into_clause")
	})
}

func (f *facts) insertStmt(s *pg.InsertStmt) {
	f.addCommand("INSERT")
	f.raise(KindInsert)
	f.withScope(s.WithClause, func() {
		f.table(s.Relation, AccessWrite, false)
		f.walk(s.ProtoReflect(), "with_clause", "relation")
	})
}

func (f *facts) updateStmt(s *pg.UpdateStmt) {
	f.addCommand("UPDATE")
	f.raise(KindUpdate)
	f.withScope(s.WithClause, func() {
		f.table(s.Relation, AccessWrite, false)
		f.bounded(s.WhereClause)
		f.walk(s.ProtoReflect(), "with_clause", "relation")
	})
}

func (f *facts) deleteStmt(s *pg.DeleteStmt) {
	f.addCommand("DELETE")
	f.raise(KindDelete)
	f.withScope(s.WithClause, func() {
		f.table(s.Relation, AccessWrite, false)
		f.bounded(s.WhereClause)
		f.walk(s.ProtoReflect(), "with_clause", "relation")
	})
}

// mergeStmt judges a MERGE. It is destructive when it can delete rows
// (a WHEN … THEN DELETE arm), when it can update rows the source does not
// name (WHEN NOT MATCHED BY SOURCE THEN UPDATE), or when a WHEN MATCHED
// THEN UPDATE arm applies to every target row because the join condition
// mentions no column (ON true). A WHEN MATCHED arm under such a join, or a
// BY SOURCE arm without a condition of its own that mentions a column,
// makes it unbounded (Where false).
func (f *facts) mergeStmt(s *pg.MergeStmt) {
	f.addCommand("MERGE")
	f.raise(KindMerge)
	joinBounded := s.JoinCondition != nil && mentionsColumn(s.JoinCondition.ProtoReflect())
	for _, n := range s.MergeWhenClauses {
		w := n.GetMergeWhenClause()
		if w == nil || (w.CommandType != pg.CmdType_CMD_UPDATE && w.CommandType != pg.CmdType_CMD_DELETE) {
			continue
		}
		deletes := w.CommandType == pg.CmdType_CMD_DELETE
		switch w.MatchKind {
		case pg.MergeMatchKind_MERGE_WHEN_MATCHED:
			if deletes || !joinBounded {
				f.destructive = true
			}
			if !joinBounded {
				f.unbounded = true
			}
		case pg.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE:
			f.destructive = true
			if w.Condition == nil || !mentionsColumn(w.Condition.ProtoReflect()) {
				f.unbounded = true
			}
		}
	}
	f.withScope(s.WithClause, func() {
		f.table(s.Relation, AccessWrite, false)
		f.walk(s.ProtoReflect(), "with_clause", "relation")
	})
}
