package mask

import (
	"strings"

	"github.com/dbward/dbward/internal/lineage"
	"github.com/dbward/dbward/internal/mask/detect"
)

// derivation is what lineage tells of one result column: the catalog
// columns its values are computed from, and whether that is all of them
// (known is false when part of it comes from a function, table or column
// dbward cannot see).
type derivation struct {
	sources []Source
	known   bool
	rows    bool // JSON of whole rows: masked key by key (lineage.Output.Rows)
}

// trace resolves a query's lineage (by name, from its text) against the
// catalog: one derivation per result column, or nil when the lineage does
// not line up with the result's n columns. visit, when not nil, is called
// with each relation a name resolves to before its columns are read.
func (c *Classification) trace(q *lineage.Query, n int, visit func(*relation)) []derivation {
	ds := c.expand(q, visit)
	if len(ds) != n {
		return nil
	}
	return ds
}

// expand resolves a query's lineage, stars expanded to their tables'
// columns, branches of a set operation merged; nil when that cannot be
// done (a star over a table the catalog does not have, branches of
// different widths).
func (c *Classification) expand(q *lineage.Query, visit func(*relation)) []derivation {
	if c == nil || q == nil || len(q.Branches) == 0 {
		return nil
	}
	var out []derivation
	for b, branch := range q.Branches {
		var ds []derivation
		for _, o := range branch {
			if o.Star {
				if len(o.Refs) == 0 || len(o.Refs[0].Rels) == 0 {
					return nil // a `*` of columns analysis could not count
				}
				rels := c.lookup(o.Refs[0].Rels[0])
				if len(rels) != 1 {
					return nil // which table's columns, how many: unknown
				}
				if visit != nil {
					visit(rels[0])
				}
				for _, k := range rels[0].cols {
					if o.Stored && rels[0].generated[k] {
						continue
					}
					src := c.cols[k]
					ds = append(ds, derivation{sources: []Source{src}, known: !src.Unknown})
				}
				continue
			}
			ds = append(ds, c.derive(o, visit))
		}
		if b == 0 {
			out = ds
			continue
		}
		if len(ds) != len(out) {
			return nil
		}
		for i := range out { // a set operation: what any branch reads
			out[i].sources = append(out[i].sources, ds[i].sources...)
			out[i].known = out[i].known && ds[i].known
		}
	}
	if out == nil {
		out = []derivation{} // (no columns, but traced)
	}
	return out
}

// derive resolves one output that is not a star.
func (c *Classification) derive(o lineage.Output, visit func(*relation)) derivation {
	d := derivation{known: !o.Opaque, rows: o.Rows}
	found := false
	for _, ref := range o.Refs {
		any := false
		for _, name := range ref.Rels {
			for _, r := range c.lookup(name) {
				if visit != nil {
					visit(r)
				}
				if ref.Column == "*" { // a whole row: its columns' values, unchanged only in row JSON
					for _, k := range r.cols {
						src := c.cols[k]
						src.Computed = src.Computed || !o.Rows
						d.sources = append(d.sources, src)
					}
					any = true
					continue
				}
				if k, ok := r.names[ref.Column]; ok {
					d.rows = false // (row_to_json(c) of a column named c is no row)
					src := c.cols[k]
					src.Computed = src.Computed || !o.Direct
					d.sources = append(d.sources, src)
					any = true
				}
			}
		}
		if !any && !ref.Optional {
			d.known = false // a table or column the catalog does not have
		}
		found = found || any
	}
	if len(o.Refs) > 0 && !found {
		d.known = false // every reading of a name was a guess, and none was right
	}
	for _, s := range d.sources {
		if s.Unknown {
			d.known = false
		}
	}
	return d
}

// written returns the sources of what an INSERT or UPDATE wrote into a
// result column its RETURNING ties to a table's column; ok is false when
// the statement wrote nothing there.
func (c *Classification) written(q *lineage.Query, col Column) (sources []Source, ok bool) {
	if c == nil || q == nil || len(q.Written) == 0 {
		return nil, false
	}
	r := c.byOID[col.Table]
	if r == nil {
		return nil, false
	}
	name := ""
	for n, k := range r.names {
		if k.attnum == col.Attnum {
			name = n
		}
	}
	for _, w := range q.Written {
		if w.Rel.Name != r.name || w.Rel.Schema != "" && w.Rel.Schema != r.schema || w.Column != name && w.Column != "*" {
			continue
		}
		d := c.derive(w.From, nil)
		sources, ok = append(sources, d.sources...), true
	}
	return sources, ok
}

// Launders returns a column an INSERT or UPDATE (lineage q) would write a
// value into that plan masks as another class than the value's, or not
// at all — where a later read would show it less masked than where it
// came from: "notes ← national_id". ok is false when it writes no such.
func (c *Classification) Launders(q *lineage.Query, plan *Plan) (what string, ok bool) {
	if c == nil || q == nil || !plan.Active() {
		return "", false
	}
	for _, w := range q.Written {
		var src Source
		found := false
		for _, s := range c.derive(w.From, nil).sources {
			if s.Class != "" && plan.Strategy(s.Class, s.Column) != Clear && (!found || severity[s.Class] > severity[src.Class]) {
				src, found = s, true
			}
		}
		if !found {
			continue
		}
		target := ""
		if w.Column != "*" {
			for _, r := range c.lookup(w.Rel) {
				if k, ok := r.names[w.Column]; ok && c.cols[k].Class == src.Class {
					target = string(src.Class)
				}
			}
		}
		if target == "" {
			return strings.Trim(w.Rel.Schema+"."+w.Rel.Name, ".") + "." + w.Column + " ← " + string(src.Class), true
		}
	}
	return "", false
}

// lookup returns the relations a name may be: the one in its schema, or
// for an unqualified name, those of that name in any schema (dbward does
// not follow the session's search_path, so it takes all of them).
func (c *Classification) lookup(r lineage.Rel) []*relation {
	if r.Schema != "" {
		return c.rels[r.Schema+"."+r.Name]
	}
	return c.rels[r.Name]
}

// severity orders classes for a view column computed from several: it
// takes the class whose disclosure hurts most.
var severity = map[detect.Class]int{
	detect.Secret: 10, detect.NationalID: 9, detect.CardNumber: 8, detect.IBAN: 7, detect.DateOfBirth: 6,
	detect.Address: 5, detect.PersonName: 4, detect.Phone: 3, detect.Email: 2, detect.IPAddress: 1,
}

// mostSensitive returns the classified source of highest severity.
func mostSensitive(sources []Source) (Source, bool) {
	best, ok := Source{}, false
	for _, s := range sources {
		if s.Class != "" && (!ok || severity[s.Class] > severity[best.Class]) {
			best, ok = s, true
		}
	}
	return best, ok
}
