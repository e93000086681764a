package analyze

import (
	"context"
	"slices"
)

// Catalog answers what the database knows about functions.
type Catalog interface {
	// FunctionMayWrite reports whether a function of that name (lower-case;
	// "schema.name" when qualified) may write: it exists outside
	// pg_catalog/information_schema and is VOLATILE, or it does not exist.
	FunctionMayWrite(ctx context.Context, name string) (bool, error)
}

// Resolve returns stmts with the facts only the catalog can give: a
// statement that calls a function which may write gets
// FlagVolatileFunction, KindUnknown and Destructive — a function that may
// write could do anything. Statements calling only well-known built-ins
// need no lookup, and stmts is returned as it is when nothing changes.
// On a catalog error, stmts is returned with the error: callers fail closed.
func Resolve(ctx context.Context, stmts []Statement, c Catalog) ([]Statement, error) {
	var out []Statement
	for i := range stmts {
		for _, fn := range stmts[i].Functions {
			if safeFunctions[fn] {
				continue
			}
			writes, err := c.FunctionMayWrite(ctx, fn)
			if err != nil {
				return stmts, err
			}
			if !writes {
				continue
			}
			if out == nil {
				out = slices.Clone(stmts)
			}
			s := &out[i]
			if !slices.Contains(s.Flags, FlagVolatileFunction) {
				s.Flags = append(slices.Clone(s.Flags), FlagVolatileFunction)
				slices.Sort(s.Flags)
			}
			s.Kind, s.Destructive = KindUnknown, true
		}
	}
	if out == nil {
		return stmts, nil
	}
	return out, nil
}
