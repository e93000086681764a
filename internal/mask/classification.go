package mask

import (
	"strings"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Source is what a result column is known to come from.
type Source struct {
	Column string       // "schema.table.column", lower-case
	Class  detect.Class // "" when not sensitive
	// Unknown is set for a view's column that dbward cannot tie to one base
	// column while the view reads classified data: its content is scanned.
	Unknown bool
}

// CatalogColumn is one column of a table or view, as the database catalog
// lists it.
type CatalogColumn struct {
	Table  uint32 // pg_class OID
	Attnum int16
	Schema string
	Rel    string // table or view name
	Name   string // column name
	View   bool   // the relation is a view or materialized view
}

// ViewDependency says that view View reads column Attnum of table Table.
type ViewDependency struct {
	View, Table uint32
	Attnum      int16
}

type colKey struct {
	table  uint32
	attnum int16
}

// Classification says which columns of one datastore hold what, by table
// OID and attribute number (as RowDescription names them) and by name.
// It is built once per catalog load and then only read.
type Classification struct {
	cols   map[colKey]Source
	tables map[string]bool // "schema.table" and "table" of relations with a sensitive (or unknown) column
}

// Classify builds a datastore's Classification from its catalog: each
// column's class is the one configured for it (configured: "schema.table.column"
// → class name, "none" for a column known not to be sensitive), else the one
// its name suggests (detect.ClassOfName). A view's column not classified so
// is tied to a same-named classified column the view reads; failing that,
// it is Unknown when the view reads any classified column.
func Classify(cols []CatalogColumn, deps []ViewDependency, configured map[string]string) (*Classification, error) {
	c := &Classification{cols: make(map[colKey]Source, len(cols)), tables: map[string]bool{}}
	names := map[colKey]string{}
	for _, col := range cols {
		qual := strings.ToLower(col.Schema + "." + col.Rel + "." + col.Name)
		src := Source{Column: qual}
		if name, ok := configured[qual]; ok {
			if name != "none" {
				class, err := detect.ParseClass(name)
				if err != nil {
					return nil, err
				}
				src.Class = class
			}
		} else {
			src.Class = detect.ClassOfName(col.Name)
		}
		k := colKey{col.Table, col.Attnum}
		c.cols[k] = src
		names[k] = strings.ToLower(col.Name)
	}
	// Views: what they read, by view.
	reads := map[uint32][]colKey{}
	for _, d := range deps {
		reads[d.View] = append(reads[d.View], colKey{d.Table, d.Attnum})
	}
	for _, col := range cols {
		k := colKey{col.Table, col.Attnum}
		src := c.cols[k]
		if !col.View || src.Class != "" {
			continue
		}
		if _, configured := configured[src.Column]; configured {
			continue
		}
		sensitive := false
		for _, r := range reads[col.Table] {
			base := c.cols[r]
			if base.Class == "" {
				continue
			}
			sensitive = true
			if names[r] == names[k] {
				src.Class = base.Class
				break
			}
		}
		src.Unknown = src.Class == "" && sensitive
		c.cols[k] = src
	}
	for _, col := range cols {
		if src := c.cols[colKey{col.Table, col.Attnum}]; src.Class != "" || src.Unknown {
			c.tables[strings.ToLower(col.Schema+"."+col.Rel)] = true
			c.tables[strings.ToLower(col.Rel)] = true
		}
	}
	return c, nil
}

// Source returns what a result column comes from; ok is false when the
// column names no table (Table 0) or one the classification does not know
// (created since it was loaded).
func (c *Classification) Source(col Column) (src Source, ok bool) {
	if c == nil || col.Table == 0 {
		return Source{}, false
	}
	src, ok = c.cols[colKey{col.Table, col.Attnum}]
	return src, ok
}

// Sensitive reports whether a table (schema-qualified or not) has a
// classified column, or one of unknown source.
func (c *Classification) Sensitive(schema, table string) bool {
	if c == nil {
		return false
	}
	if schema != "" {
		return c.tables[strings.ToLower(schema+"."+table)]
	}
	return c.tables[strings.ToLower(table)]
}
