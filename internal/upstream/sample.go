package upstream

import (
	"context"
	"fmt"
	"strings"

	"github.com/dbward/dbward/internal/mask"
)

// ColumnSample is a table column with some of its values, as text.
type ColumnSample struct {
	Column mask.CatalogColumn
	Values [][]byte // non-NULL values only
}

// Sample returns every column of the datastore's tables (views only show
// what tables hold, so they are left out) with its non-NULL values among
// up to n rows of its table, for `dbward classify`. It reads in a
// read-only transaction.
func (c *Catalog) Sample(ctx context.Context, n int) ([]ColumnSample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	results, err := c.conn.Exec(ctx, columnsSQL+" AND c.relkind IN ('r', 'p') ORDER BY n.nspname, c.relname, a.attnum").ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading the column catalog of %s: %w", c.ds.Name, err)
	}
	cols, err := catalogColumns(results[0].Rows)
	if err != nil {
		return nil, fmt.Errorf("reading the column catalog of %s: %w", c.ds.Name, err)
	}
	out := make([]ColumnSample, len(cols))
	for i, col := range cols {
		out[i].Column = col
	}
	if err := c.conn.Exec(ctx, "BEGIN READ ONLY").Close(); err != nil {
		return nil, err
	}
	defer func() { c.conn.Exec(ctx, "ROLLBACK").Close() }()
	for start := 0; start < len(out); {
		end := start
		for end < len(out) && out[end].Column.Schema == out[start].Column.Schema && out[end].Column.Rel == out[start].Column.Rel {
			end++
		}
		cols := make([]string, end-start)
		for i := range cols {
			cols[i] = quoteIdent(out[start+i].Column.Name) + "::text"
		}
		table := quoteIdent(out[start].Column.Schema) + "." + quoteIdent(out[start].Column.Rel)
		r := c.conn.ExecParams(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(cols, ", "), table, n), nil, nil, nil, nil).Read()
		if r.Err != nil {
			return nil, fmt.Errorf("sampling %s: %w", table, r.Err)
		}
		for _, vals := range r.Rows {
			for i, v := range vals {
				if v != nil {
					out[start+i].Values = append(out[start+i].Values, v)
				}
			}
		}
		start = end
	}
	return out, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
