package upstream

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dbward/dbward/internal/analyze"
	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/mask"
)

// columnsSQL lists the columns of every table, view and foreign table
// outside the system schemas.
const columnsSQL = `SELECT c.oid, a.attnum, n.nspname, c.relname, a.attname, c.relkind IN ('v', 'm'), a.atttypid, a.attgenerated <> ''

FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'`

// viewDepsSQL lists the table columns each view reads (through its rewrite
// rule's dependencies).
const viewDepsSQL = `SELECT DISTINCT r.ev_class, d.refobjid, d.refobjsubid
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
  AND d.refobjsubid > 0 AND d.refobjid <> r.ev_class`

// viewDefsSQL lists the definition of every view and materialized view
// outside the system schemas, as a SELECT.
const viewDefsSQL = `SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`

// Classification returns which columns of the datastore hold sensitive
// data (mask.Classify over its catalog and masking.columns), loading it
// once and again after Invalidate (DDL).
func (c *Catalog) Classification(ctx context.Context) (*mask.Classification, error) {
	if cls, ok := c.CachedClassification(); ok {
		return cls, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	results, err := c.conn.Exec(ctx, columnsSQL+"; "+viewDepsSQL+"; "+viewDefsSQL).ReadAll()
	if err == nil && len(results) != 3 {
		err = fmt.Errorf("%d results, want 3", len(results))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the column catalog of %s: %w", c.ds.Name, err)
	}
	cols, err := catalogColumns(results[0].Rows)
	if err != nil {
		return nil, fmt.Errorf("reading the column catalog of %s: %w", c.ds.Name, err)
	}
	deps := make([]mask.ViewDependency, 0, len(results[1].Rows))
	for _, row := range results[1].Rows {
		view, err1 := strconv.ParseUint(string(row[0]), 10, 32)
		table, err2 := strconv.ParseUint(string(row[1]), 10, 32)
		att, err3 := strconv.ParseInt(string(row[2]), 10, 16)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("reading the view dependencies of %s: bad row %q", c.ds.Name, row)
		}
		deps = append(deps, mask.ViewDependency{View: uint32(view), Table: uint32(table), Attnum: int16(att)})
	}
	// A view's columns are classified by what its definition computes
	// them from: its lineage, as analysis reads it.
	views := make(map[uint32]*lineage.Query, len(results[2].Rows))
	for _, row := range results[2].Rows {
		view, err := strconv.ParseUint(string(row[0]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("reading the view definitions of %s: bad row %q", c.ds.Name, row)
		}
		views[uint32(view)] = analyze.Lineage(string(row[1]))
	}
	cls, err := mask.Classify(cols, deps, views, c.configured)
	if err != nil {
		return nil, fmt.Errorf("masking.columns for %s: %w", c.ds.Name, err)
	}
	c.cacheMu.Lock()
	c.columns = cls
	c.cacheMu.Unlock()
	return cls, nil
}

// CachedClassification is Classification from the cache only: ok is false
// when the catalog would have to be read. It never waits on the database.
func (c *Catalog) CachedClassification() (*mask.Classification, bool) {
	c.cacheMu.RLock()
	defer c.cacheMu.RUnlock()
	return c.columns, c.columns != nil
}

// catalogColumns reads the rows of columnsSQL.
func catalogColumns(rows [][][]byte) ([]mask.CatalogColumn, error) {
	cols := make([]mask.CatalogColumn, 0, len(rows))
	for _, row := range rows {
		if len(row) != 8 {
			return nil, fmt.Errorf("bad row %q", row)
		}
		oid, err1 := strconv.ParseUint(string(row[0]), 10, 32)
		att, err2 := strconv.ParseInt(string(row[1]), 10, 16)
		typ, err3 := strconv.ParseUint(string(row[6]), 10, 32)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("bad row %q", row)
		}
		cols = append(cols, mask.CatalogColumn{Table: uint32(oid), Attnum: int16(att), Schema: string(row[2]),
			Rel: string(row[3]), Name: string(row[4]), View: string(row[5]) == "t", Type: uint32(typ),
			Generated: string(row[7]) == "t"})
	}
	return cols, nil
}
