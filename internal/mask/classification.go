package mask

import (
	"slices"
	"strings"

	"github.com/dbward/dbward/internal/lineage"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Source is what a result column is known to come from.
type Source struct {
	Column string       // "schema.table.column", lower-case
	Class  detect.Class // "" when not sensitive
	Type   uint32       // pg_type OID of its values (0: not known)
	// Unknown is set for a view's column that dbward cannot tie to one base
	// column while the view reads classified data: its content is scanned.
	Unknown bool
	// MayHold, for an Unknown view column, is the most sensitive class of
	// what the view reads: its values are masked as that (whole), unless
	// the plan refuses columns of unknown source.
	MayHold detect.Class
	// Computed is set when the values are computed from the column's
	// (an expression over it, in a query or a view's definition): a
	// partial mask of a part could show any part, so it redacts instead.
	Computed bool
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
	Type   uint32 // pg_type OID of its values
	// Generated: a generated column, which COPY t TO STDOUT leaves out.
	Generated bool
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

// relation is one table or view of the catalog, for lineage's names.
type relation struct {
	schema    string
	name      string
	table     uint32
	view      bool
	cols      []colKey // in attnum order, as a `*` lists them
	names     map[string]colKey
	generated map[colKey]bool
}

// Classification says which columns of one datastore hold what, by table
// OID and attribute number (as RowDescription names them) and by name
// (as lineage does). It is built once per catalog load and then only read.
type Classification struct {
	cols   map[colKey]Source
	byOID  map[uint32]*relation
	rels   map[string][]*relation // by "schema.rel" and by "rel" (every schema's)
	tables map[string]bool        // "schema.table" and "table" of relations with a sensitive (or unknown) column
}

// Classify builds a datastore's Classification from its catalog: each
// column's class is the one configured for it (configured: "schema.table.column"
// → class name, "none" for a column known not to be sensitive), else the one
// its name suggests (detect.ClassOfName). A view's column not classified so
// takes the class of what its definition computes it from (views: a view's
// OID → the lineage of its definition); for a view without one, it is tied
// to a same-named classified column the view reads (deps), and failing
// that, it is Unknown when the view reads any classified column.
func Classify(cols []CatalogColumn, deps []ViewDependency, views map[uint32]*lineage.Query, configured map[string]string) (*Classification, error) {
	c := &Classification{cols: make(map[colKey]Source, len(cols)), rels: map[string][]*relation{}, tables: map[string]bool{}}
	names := map[colKey]string{}
	byOID := map[uint32]*relation{}
	for _, col := range cols {
		qual := strings.ToLower(col.Schema + "." + col.Rel + "." + col.Name)
		src := Source{Column: qual, Type: col.Type}
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
		r := byOID[col.Table]
		if r == nil {
			r = &relation{schema: strings.ToLower(col.Schema), name: strings.ToLower(col.Rel), table: col.Table, view: col.View, names: map[string]colKey{}}
			byOID[col.Table] = r
			schema, rel := strings.ToLower(col.Schema), strings.ToLower(col.Rel)
			c.rels[schema+"."+rel] = append(c.rels[schema+"."+rel], r)
			c.rels[rel] = append(c.rels[rel], r)
		}
		r.cols = append(r.cols, k)
		r.names[names[k]] = k
		if col.Generated {
			if r.generated == nil {
				r.generated = map[colKey]bool{}
			}
			r.generated[k] = true
		}
	}
	for _, r := range byOID {
		slices.SortFunc(r.cols, func(a, b colKey) int { return int(a.attnum) - int(b.attnum) })
	}
	// Views: what they read, by view.
	reads := map[uint32][]colKey{}
	for _, d := range deps {
		reads[d.View] = append(reads[d.View], colKey{d.Table, d.Attnum})
	}
	c.byOID = byOID
	v := viewClassifier{c: c, byOID: byOID, views: views, reads: reads, names: names,
		configured: configured, done: map[uint32]bool{}}
	for _, r := range byOID {
		if r.view {
			v.classify(r)
		}
	}
	for _, col := range cols {
		if src := c.cols[colKey{col.Table, col.Attnum}]; src.Class != "" || src.Unknown {
			c.tables[strings.ToLower(col.Schema+"."+col.Rel)] = true
			c.tables[strings.ToLower(col.Rel)] = true
		}
	}
	return c, nil
}

// viewClassifier classifies views' columns, each view once, the views a
// view reads first.
type viewClassifier struct {
	c          *Classification
	byOID      map[uint32]*relation
	views      map[uint32]*lineage.Query
	reads      map[uint32][]colKey
	names      map[colKey]string
	configured map[string]string
	done       map[uint32]bool
}

func (v *viewClassifier) classify(r *relation) {
	if v.done[r.table] {
		return
	}
	v.done[r.table] = true // (set first: a cycle, which PostgreSQL forbids, ends here)
	for _, k := range v.reads[r.table] {
		if base := v.byOID[k.table]; base != nil && base.view {
			v.classify(base)
		}
	}
	traced := v.c.trace(v.views[r.table], len(r.cols), func(rel *relation) {
		if rel.view {
			v.classify(rel)
		}
	})
	for i, k := range r.cols {
		src := v.c.cols[k]
		if _, configured := v.configured[src.Column]; configured {
			continue
		}
		if traced != nil {
			// What the definition computes the column from decides; a
			// class its name suggests stays when it reads nothing classified.
			d := traced[i]
			if s, ok := mostSensitive(d.sources); ok && d.known {
				if severity[s.Class] > severity[src.Class] { // (ssn AS email is an ssn)
					src.Class = s.Class
				}
				src.Computed = s.Computed
			}
			src.Unknown = !d.known && src.Class == ""
			if src.Unknown {
				src.MayHold = v.mayHold(r.table, d.sources)
			}
			v.c.cols[k] = src
			continue
		}
		if src.Class != "" {
			continue
		}
		sensitive := false
		for _, rd := range v.reads[r.table] {
			base := v.c.cols[rd]
			if base.Class == "" && !base.Unknown {
				continue
			}
			sensitive = true
			if v.names[rd] == v.names[k] && !base.Unknown {
				src.Class = base.Class
				break
			}
		}
		src.Unknown = src.Class == "" && sensitive
		if src.Unknown {
			src.MayHold = v.mayHold(r.table, nil)
		}
		v.c.cols[k] = src
	}
}

// mayHold is the most sensitive class among what a view reads (its
// dependencies, and sources lineage found).
func (v *viewClassifier) mayHold(view uint32, sources []Source) detect.Class {
	all := append([]Source(nil), sources...)
	for _, rd := range v.reads[view] {
		all = append(all, v.c.cols[rd])
	}
	s, _ := mostSensitive(all)
	return s.Class
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

// TablesRead returns the classified columns of the named tables and views
// (schema "" for any schema), as computed values: what a column of unknown
// source over them may hold. nil when none is classified.
//
// nil tables means every table of the datastore.
func (c *Classification) TablesRead(tables [][2]string) []Source {
	if c == nil {
		return nil
	}
	var out []Source
	if tables == nil {
		for _, r := range c.byOID {
			for _, k := range r.cols {
				if s := c.cols[k]; s.Class != "" {
					s.Computed = true
					out = append(out, s)
				}
			}
		}
		return out
	}
	for _, t := range tables {
		name := strings.ToLower(t[1])
		if t[0] != "" {
			name = strings.ToLower(t[0]) + "." + name
		}
		for _, r := range c.rels[name] {
			for _, k := range r.cols {
				if s := c.cols[k]; s.Class != "" {
					s.Computed = true
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// rowSources returns the sources of a whole row of a table or view, as
// computed values (a row's text shows every column), or nil for a table
// the classification does not know.
func (c *Classification) rowSources(table uint32) []Source {
	if c == nil || c.byOID[table] == nil {
		return nil
	}
	r := c.byOID[table]
	out := make([]Source, 0, len(r.cols))
	for _, k := range r.cols {
		s := c.cols[k]
		s.Computed = true
		out = append(out, s)
	}
	return out
}

// Any reports whether some column is classified (or of unknown source).
func (c *Classification) Any() bool { return c != nil && len(c.tables) > 0 }

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
