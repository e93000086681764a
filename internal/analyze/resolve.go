package analyze

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Catalog answers what only the database knows about functions.
type Catalog interface {
	// FunctionMayWrite reports whether a function of that name (lower-case;
	// "schema.name" when qualified) may write: it exists outside
	// pg_catalog/information_schema and is VOLATILE, or it does not exist.
	FunctionMayWrite(ctx context.Context, name string) (bool, error)
}

// Resolve adds the facts only the catalog can give. Every statement that
// calls a function (or CALLs a procedure) the catalog says may write gets
// FlagVolatileFunction, KindUnknown and Destructive: a function that may
// write may do anything. Built-in functions known not to write (count,
// now, lower, nextval, …) are not looked up.
//
// stmts is not modified (it may be shared with the Analyzer's cache). A
// statement that changes is a copy in the returned slice; when none
// changes, Resolve returns stmts itself, without allocating. On a catalog
// error it returns nil and the error, wrapped: callers must then refuse
// the statements, not run them unjudged.
func Resolve(ctx context.Context, stmts []Statement, c Catalog) ([]Statement, error) {
	var out []Statement
	for i := range stmts {
		writes, err := mayWrite(ctx, stmts[i].Functions, c)
		if err != nil {
			return nil, err
		}
		if !writes {
			continue
		}
		if out == nil {
			out = slices.Clone(stmts)
		}
		s := &out[i]
		if !slices.Contains(s.Flags, FlagVolatileFunction) {
			flags := make([]string, 0, len(s.Flags)+1)
			flags = append(append(flags, s.Flags...), FlagVolatileFunction)
			slices.Sort(flags)
			s.Flags = flags
		}
		s.Kind, s.Destructive = KindUnknown, true
	}
	if out == nil {
		return stmts, nil
	}
	return out, nil
}

func mayWrite(ctx context.Context, functions []string, c Catalog) (bool, error) {
	for _, fn := range functions {
		base, _ := strings.CutPrefix(fn, "pg_catalog.")
		if safeFunctions[base] {
			continue
		}
		writes, err := c.FunctionMayWrite(ctx, fn)
		if err != nil {
			return false, fmt.Errorf("analyze: catalog lookup of function %s: %w", fn, err)
		}
		if writes {
			return true, nil
		}
	}
	return false, nil
}
