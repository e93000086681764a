package analyze

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// bounded records whether the condition of a DELETE or UPDATE limits the
// rows it touches. A condition counts when it mentions a column (or is
// WHERE CURRENT OF a cursor); one that does not — WHERE true, WHERE 1 = 1,
// WHERE 'a' = 'a', WHERE $1 — touches every row or none, and the
// statement is unbounded and destructive.
//
// This catches the forgotten or neutralised condition, not a determined
// author: a tautology over a column (WHERE id = id) counts as a condition,
// and so does a column of another table (UPDATE t … FROM s WHERE s.x = 1).
// The rule depends only on the shape of the condition, never on aliases or
// literal values, so facts keyed by fingerprint stay correct.
func (f *facts) bounded(where *pg.Node) {
	if where == nil || !mentionsColumn(where.ProtoReflect()) {
		f.unbounded, f.destructive = true, true
	}
}

// mentionsColumn reports whether the tree under m has a column reference.
func mentionsColumn(m protoreflect.Message) bool {
	switch m.Interface().(type) {
	case *pg.ColumnRef, *pg.CurrentOfExpr:
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = mentionsColumn(l.Get(i).Message())
			}
		} else {
			found = mentionsColumn(v.Message())
		}
		return !found
	})
	return found
}
