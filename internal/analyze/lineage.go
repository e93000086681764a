package analyze

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/dbward/dbward/internal/lineage"
)

// Lineage returns where the result columns of the first statement in sql
// come from, or nil when it returns no rows dbward can trace (or does not
// parse). The catalog reads views' definitions with it.
func Lineage(sql string) (q *lineage.Query) {
	defer func() {
		if recover() != nil { // (a bug here must not stop the catalog from loading; FuzzAnalyze looks for one)
			q = nil
		}
	}()
	tree, err := pg.Parse(sql)
	if err != nil || len(tree.Stmts) == 0 {
		return nil
	}
	q, _ = lineageOf(tree.Stmts[0].Stmt)
	return q
}

// lineageOf returns the lineage of a statement's result: a SELECT's, a
// COPY … TO STDOUT's, the RETURNING list of an INSERT, UPDATE or DELETE,
// or what a PREPARE prepares; nil for others.
// fingerprintSafe is false when the lineage depends on what the pg_query
// fingerprint leaves out — aliases, and the order of select lists (which it
// sorts) — so that it is not shared between texts of one fingerprint.
func lineageOf(n *pg.Node) (q *lineage.Query, fingerprintSafe bool) {
	b := &lineageBuilder{}
	defer func() {
		fingerprintSafe = fingerprintSafe && !b.aliased
		if q != nil {
			for _, br := range q.Branches {
				fingerprintSafe = fingerprintSafe && len(br) <= 1
			}
		}
	}()
	switch s := n.GetNode().(type) {
	case *pg.Node_SelectStmt:
		if s.SelectStmt.IntoClause != nil {
			return nil, true // SELECT INTO returns no rows
		}
		q = &lineage.Query{Branches: b.branches(s.SelectStmt, nil)}
		q.Written = b.written // (data-modifying CTEs)
	case *pg.Node_InsertStmt:
		q = b.returningQuery(n)
	case *pg.Node_UpdateStmt:
		q = b.returningQuery(n)
	case *pg.Node_DeleteStmt:
		q = b.returningQuery(n)
	case *pg.Node_CopyStmt:
		c := s.CopyStmt
		if c.IsFrom || c.IsProgram || c.Filename != "" {
			return nil, true // no rows for the client
		}
		if c.Query != nil {
			return lineageOf(c.Query)
		}
		if c.Relation == nil {
			return nil, true
		}
		rel := *b.table(c.Relation).base
		var outs []lineage.Output
		for _, col := range c.Attlist {
			outs = append(outs, lineage.Output{Refs: []lineage.Ref{{Rels: []lineage.Rel{rel}, Column: strings.ToLower(col.GetString_().GetSval())}}, Direct: true})
		}
		if len(outs) == 0 {
			outs = []lineage.Output{{Star: true, Stored: true, Refs: []lineage.Ref{{Rels: []lineage.Rel{rel}, Column: "*"}}}}
		}
		return &lineage.Query{Branches: [][]lineage.Output{outs}}, true
	case *pg.Node_DeclareCursorStmt:
		return lineageOf(s.DeclareCursorStmt.Query) // what FETCH of it returns
	case *pg.Node_PrepareStmt:
		// What EXECUTE of it returns (the session hands the body's
		// analysis to the EXECUTE).
		return lineageOf(s.PrepareStmt.Query)
	}
	return q, true
}

// lineageBuilder walks one statement.
type lineageBuilder struct {
	depth   int
	written []lineage.Write // what a top-level INSERT or UPDATE writes, for its RETURNING
	// aliased is set when the lineage depends on a name the pg_query
	// fingerprint leaves out: an alias of a relation, or the name of a
	// sub-select's or CTE's column.
	aliased bool
}

// maxLineageDepth bounds the nesting followed; deeper is opaque.
const maxLineageDepth = 64

// scope is the relations a select list can name: its FROM items, its
// CTEs, and (for correlated sub-selects) those of the queries around it.
type scope struct {
	rels  []*scopeRel
	ctes  map[string]*scopeRel
	outer *scope
}

// scopeRel is one FROM item: a table or view (base), or a derived
// relation (sub-select, CTE, function) whose columns are outputs.
type scopeRel struct {
	alias  string
	base   *lineage.Rel
	names  []string         // derived: each output's column name ("" unknown)
	outs   []lineage.Output // derived: its columns
	opaque bool             // its columns cannot be traced
	// unnamed: its columns cannot be told apart by name (a table with
	// column aliases, a function's columns, a derived relation with stars
	// over tables). merged: a `*` over it does not line up with its
	// tables' columns (a join's USING or NATURAL merges some). noWidth:
	// how many columns it has is not known (a function in FROM).
	unnamed, merged, noWidth bool
}

// unaligned stands for the columns of a `*` whose number is not known:
// a result with one cannot be lined up with its columns.
var unaligned = lineage.Output{Star: true, Opaque: true}

// oneColumn reports whether a function in FROM makes rows of one column:
// one built-in that returns a set of single values, without ORDINALITY.
func oneColumn(rf *pg.RangeFunction) bool {
	if len(rf.Functions) != 1 || rf.Ordinality || len(rf.Coldeflist) > 0 {
		return false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || len(items) > 1 && items[1] != nil && len(items[1].GetList().GetItems()) > 0 {
		return false
	}
	fc := items[0].GetFuncCall()
	if fc == nil {
		return false
	}
	name := strings.TrimPrefix(functionName(fc.Funcname), "pg_catalog.")
	return singleColumnSets[name] && (name != "unnest" || len(fc.Args) == 1)
}

// singleColumnSets are built-ins that return a set of single values.
var singleColumnSets = setOf(`generate_series generate_subscripts unnest regexp_split_to_table regexp_matches
	string_to_table json_array_elements jsonb_array_elements json_array_elements_text jsonb_array_elements_text
	json_object_keys jsonb_object_keys jsonb_path_query`)

// lateral returns the scope a FROM item sees: the FROM items to its left
// only when it is LATERAL.
func (sc *scope) lateral(lateral bool) *scope {
	if lateral {
		return sc
	}
	return sc.outer
}

// branches returns a select's outputs: one list, or one per branch of a
// set operation.
func (b *lineageBuilder) branches(s *pg.SelectStmt, outer *scope) [][]lineage.Output {
	if s.Op != pg.SetOperation_SETOP_NONE && s.Op != pg.SetOperation_SET_OPERATION_UNDEFINED {
		sc := b.withScope(s.WithClause, outer)
		var out [][]lineage.Output
		for _, arm := range []*pg.SelectStmt{s.Larg, s.Rarg} {
			if arm != nil {
				out = append(out, b.branches(arm, sc)...)
			}
		}
		return out
	}
	outs, _ := b.selectOutputs(s, outer)
	return [][]lineage.Output{outs}
}

// selectOutputs returns the outputs of a simple select (no set operation)
// and their column names.
func (b *lineageBuilder) selectOutputs(s *pg.SelectStmt, outer *scope) ([]lineage.Output, []string) {
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxLineageDepth {
		return []lineage.Output{{Opaque: true}}, []string{""}
	}
	sc := b.withScope(s.WithClause, outer)
	if len(s.ValuesLists) > 0 {
		return b.values(s.ValuesLists, sc)
	}
	sc = b.fromScope(s.FromClause, sc)
	var outs []lineage.Output
	var names []string
	for _, t := range s.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			outs, names = append(outs, lineage.Output{Opaque: true}), append(names, "")
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			stars := b.star(cr, sc)
			for _, o := range stars {
				outs = append(outs, o)
				names = append(names, "")
			}
			continue
		}
		o := b.expr(rt.Val, sc)
		outs, names = append(outs, o), append(names, targetName(rt))
	}
	return outs, names
}

// values returns the outputs of a VALUES list: column i reads what row
// expressions in position i read.
func (b *lineageBuilder) values(rows []*pg.Node, sc *scope) ([]lineage.Output, []string) {
	var outs []lineage.Output
	for _, row := range rows {
		for i, item := range row.GetList().GetItems() {
			if i == len(outs) {
				outs = append(outs, lineage.Output{})
			}
			outs[i] = merge(outs[i], b.expr(item, sc))
		}
	}
	return outs, make([]string, len(outs))
}

// withScope adds a WITH clause's CTEs to the scope.
func (b *lineageBuilder) withScope(w *pg.WithClause, outer *scope) *scope {
	if w == nil || len(w.Ctes) == 0 {
		return outer
	}
	b.aliased = true
	sc := &scope{ctes: map[string]*scopeRel{}, outer: outer}
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if cte == nil {
			continue
		}
		name := strings.ToLower(cte.Ctename)
		r := &scopeRel{alias: name, opaque: w.Recursive}
		if !w.Recursive {
			r = b.derived(name, cte.Ctequery, cte.Aliascolnames, sc)
		}
		sc.ctes[name] = r
	}
	return sc
}

// derived returns the relation a sub-query (a sub-select, a CTE's query,
// a data-modifying statement's RETURNING) makes, with colnames renaming
// its first columns.
func (b *lineageBuilder) derived(alias string, query *pg.Node, colnames []*pg.Node, sc *scope) *scopeRel {
	r := &scopeRel{alias: alias}
	switch q := query.GetNode().(type) {
	case *pg.Node_SelectStmt:
		s := q.SelectStmt
		if s.Op == pg.SetOperation_SETOP_NONE || s.Op == pg.SetOperation_SET_OPERATION_UNDEFINED {
			r.outs, r.names = b.selectOutputs(s, sc)
		} else {
			branches := b.branches(s, sc)
			if len(branches) == 0 {
				r.opaque = true
				return r
			}
			r.outs, r.names = branches[0], make([]string, len(branches[0]))
			for _, br := range branches[1:] {
				if len(br) != len(r.outs) {
					r.opaque = true
					break
				}
				for i := range br {
					r.outs[i] = merge(r.outs[i], br[i])
				}
			}
			// A set operation's columns are named by its first branch.
			first := s
			for first.Larg != nil && first.Op != pg.SetOperation_SETOP_NONE {
				first = first.Larg
			}
			if _, names := b.selectOutputs(first, sc); len(names) == len(r.names) {
				r.names = names
			}
		}
	default:
		var ok bool
		if r.outs, r.names, ok = b.returning(query, sc); !ok {
			r.opaque = true
			return r
		}
	}
	for _, o := range r.outs {
		if o.Star {
			r.unnamed = true // its columns' names and positions are the tables'
		}
	}
	if r.unnamed && len(colnames) > 0 {
		r.opaque = true // names given to columns whose positions are not known
	}
	for i, c := range colnames {
		if i < len(r.names) {
			r.names[i] = strings.ToLower(c.GetString_().GetSval())
		}
	}
	return r
}

// fromScope returns the scope of a FROM list.
func (b *lineageBuilder) fromScope(from []*pg.Node, outer *scope) *scope {
	sc := &scope{outer: outer}
	for _, item := range from {
		b.fromItem(item, sc)
	}
	return sc
}

// fromItem adds one FROM item's relations to sc. Items to its left are
// already there, for LATERAL.
func (b *lineageBuilder) fromItem(n *pg.Node, sc *scope) {
	switch it := n.GetNode().(type) {
	case *pg.Node_RangeVar:
		rv := it.RangeVar
		if rv.Schemaname == "" {
			if cte := sc.cte(strings.ToLower(rv.Relname)); cte != nil {
				r := *cte
				b.aliased = true
				if rv.Alias != nil {
					r.alias = strings.ToLower(rv.Alias.Aliasname)
					r.opaque = r.opaque || r.unnamed && len(rv.Alias.Colnames) > 0
					if len(rv.Alias.Colnames) > 0 {
						r.names = append([]string(nil), r.names...)
						for i, c := range rv.Alias.Colnames {
							if i < len(r.names) {
								r.names[i] = strings.ToLower(c.GetString_().GetSval())
							}
						}
					}
				}
				sc.rels = append(sc.rels, &r)
				return
			}
		}
		sc.rels = append(sc.rels, b.table(rv))
	case *pg.Node_RangeSubselect:
		b.aliased = true
		alias := ""
		var colnames []*pg.Node
		if it.RangeSubselect.Alias != nil {
			alias, colnames = strings.ToLower(it.RangeSubselect.Alias.Aliasname), it.RangeSubselect.Alias.Colnames
		}
		sc.rels = append(sc.rels, b.derived(alias, it.RangeSubselect.Subquery, colnames, sc.lateral(it.RangeSubselect.Lateral)))
	case *pg.Node_JoinExpr:
		j := it.JoinExpr
		start := len(sc.rels)
		b.fromItem(j.Larg, sc)
		b.fromItem(j.Rarg, sc)
		merged := j.IsNatural || len(j.UsingClause) > 0
		if merged {
			// The merged columns come first in a `*`, once.
			for _, r := range sc.rels[start:] {
				r.merged = true
			}
		}
		if j.Alias != nil {
			b.aliased = true
			// (a JOIN b) AS j: j.x is a column of a or b, and a and b
			// are no longer visible by their names.
			inner := sc.rels[start:]
			j := &scopeRel{alias: strings.ToLower(j.Alias.Aliasname), unnamed: true, merged: merged,
				opaque: len(j.Alias.Colnames) > 0} // (columns renamed by position)
			for _, r := range inner {
				r.merged = false
				j.outs = append(j.outs, r.star()...)
				r.merged = merged
			}
			sc.rels = append(sc.rels[:start], j)
		}
	case *pg.Node_RangeTableSample:
		b.fromItem(it.RangeTableSample.Relation, sc)
	case *pg.Node_RangeFunction:
		rf := it.RangeFunction
		r := &scopeRel{unnamed: true, noWidth: !oneColumn(rf)}
		if rf.Alias != nil {
			b.aliased = true
			r.alias = strings.ToLower(rf.Alias.Aliasname)
		}
		// A built-in's rows are made of its arguments (unnest(array),
		// generate_series): every column reads them all.
		var o lineage.Output
		for _, fn := range rf.Functions {
			items := fn.GetList().GetItems()
			if len(items) == 0 {
				o.Opaque = true
				continue
			}
			o = merge(o, b.expr(items[0], sc)) // (a function in FROM sees the items to its left, LATERAL or not)
		}
		// (How many columns it has, the text does not say: a `*` over it
		// cannot be lined up.)
		r.outs = []lineage.Output{o}
		sc.rels = append(sc.rels, r)
	default:
		sc.rels = append(sc.rels, &scopeRel{opaque: true})
	}
}

// table is a FROM item naming a table or view.
func (b *lineageBuilder) table(rv *pg.RangeVar) *scopeRel {
	rel := lineage.Rel{Schema: strings.ToLower(rv.Schemaname), Name: strings.ToLower(rv.Relname)}
	r := &scopeRel{alias: rel.Name, base: &rel}
	if rv.Alias != nil {
		b.aliased = true
		r.alias = strings.ToLower(rv.Alias.Aliasname)
		r.unnamed = len(rv.Alias.Colnames) > 0
	}
	return r
}

// star returns the outputs a `*` over the relation stands for.
func (r *scopeRel) star() []lineage.Output {
	switch {
	case r.opaque || r.merged || r.noWidth:
		return []lineage.Output{unaligned}
	case r.base != nil:
		return []lineage.Output{{Star: true, Refs: []lineage.Ref{{Rels: []lineage.Rel{*r.base}, Column: "*"}}}}
	}
	return r.outs
}

// whole returns what a whole-row reference to the relation reads.
func (r *scopeRel) whole() lineage.Output {
	var o lineage.Output
	for _, s := range r.star() {
		s.Star = false
		o = merge(o, s)
	}
	return o
}

// column returns what column name of the relation reads; ok is false when
// the relation has no column so named (as far as the text tells).
func (r *scopeRel) column(name string) (o lineage.Output, ok bool) {
	switch {
	case r.opaque:
		return lineage.Output{Opaque: true}, true
	case r.base != nil && !r.unnamed:
		return lineage.Output{Refs: []lineage.Ref{{Rels: []lineage.Rel{*r.base}, Column: name}}, Direct: true}, true
	case r.base != nil:
		return r.whole(), true // renamed columns: any of them
	}
	if !r.unnamed {
		var guess lineage.Output
		guessed := false
		for i, n := range r.names {
			switch n {
			case name:
				return r.outs[i], true
			case "":
				// A column analysis cannot name may be this one: the name
				// stops here rather than reach an outer query's column.
				guess, guessed = merge(guess, r.outs[i]), true
			}
		}
		return guess, guessed
	}
	// A star over tables hides which column the name is: it is one of the
	// named outputs, or a column of the starred tables.
	for i, n := range r.names {
		if n == name && n != "" {
			return r.outs[i], true
		}
	}
	var found lineage.Output
	for _, s := range r.outs {
		if !s.Star || len(s.Refs) == 0 {
			continue
		}
		found.Refs = append(found.Refs, lineage.Ref{Rels: s.Refs[0].Rels, Column: name, Optional: true})
	}
	if len(found.Refs) == 0 {
		return r.whole(), true
	}
	return found, true
}

// cte finds a CTE by name in the scope or those around it.
func (sc *scope) cte(name string) *scopeRel {
	for s := sc; s != nil; s = s.outer {
		if r, ok := s.ctes[name]; ok {
			return r
		}
	}
	return nil
}

// rel finds a FROM item by alias (or table name), innermost first.
func (sc *scope) rel(alias string) *scopeRel {
	for s := sc; s != nil; s = s.outer {
		for i := len(s.rels) - 1; i >= 0; i-- {
			if s.rels[i].alias == alias {
				return s.rels[i]
			}
		}
	}
	return nil
}

// star returns the outputs of a `*` or `t.*` in a select list.
func (b *lineageBuilder) star(cr *pg.ColumnRef, sc *scope) []lineage.Output {
	if len(cr.Fields) == 1 {
		if sc == nil {
			return nil
		}
		var outs []lineage.Output
		for _, r := range sc.rels {
			outs = append(outs, r.star()...)
		}
		return outs
	}
	r := sc.rel(strings.ToLower(cr.Fields[len(cr.Fields)-2].GetString_().GetSval()))
	if r == nil {
		return []lineage.Output{{Opaque: true}}
	}
	return r.star()
}

// columnRef returns what a column reference reads.
func (b *lineageBuilder) columnRef(cr *pg.ColumnRef, sc *scope) lineage.Output {
	fields := make([]string, 0, len(cr.Fields))
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			fields = append(fields, "*")
			continue
		}
		fields = append(fields, strings.ToLower(f.GetString_().GetSval()))
	}
	if len(fields) == 0 {
		return lineage.Output{Opaque: true}
	}
	col := fields[len(fields)-1]
	if len(fields) >= 2 {
		relName := fields[len(fields)-2]
		if r := sc.rel(relName); r != nil && (len(fields) == 2 || r.base != nil && r.base.Schema == fields[len(fields)-3]) {
			if col == "*" {
				return r.whole()
			}
			if o, ok := r.column(col); ok {
				return o
			}
			return lineage.Output{Opaque: true}
		}
		if len(fields) >= 3 {
			// schema.table.column of a table not aliased in FROM.
			return lineage.Output{Refs: []lineage.Ref{{Rels: []lineage.Rel{{Schema: fields[len(fields)-3], Name: relName}}, Column: col}}, Direct: true}
		}
		// rel.col where rel is no FROM item: a composite column's field
		// (PostgreSQL would say so), traced as the column rel.
		col = relName
	}
	// An unqualified name: a column of one of the tables in scope (which
	// one, the catalog tells), or an output of a derived relation, or
	// failing both, the whole row of a relation so named.
	var o lineage.Output
	var tables []lineage.Rel
	derived := 0
	for s := sc; s != nil; s = s.outer {
		for _, r := range s.rels {
			if r.base != nil && !r.unnamed {
				tables = append(tables, *r.base)
				continue
			}
			if co, ok := r.column(col); ok {
				if derived == 0 {
					o = co
				} else {
					o = merge(o, co)
				}
				derived++
			}
		}
	}
	whole := sc.rel(col)
	switch {
	case len(tables) > 0 && derived == 0 && whole == nil:
		return lineage.Output{Refs: []lineage.Ref{{Rels: tables, Column: col}}, Direct: true}
	case len(tables) > 0:
		o = merge(o, lineage.Output{Refs: []lineage.Ref{{Rels: tables, Column: col, Optional: true}}})
	}
	if whole != nil {
		o = merge(o, whole.whole())
	}
	if len(o.Refs) == 0 && !o.Opaque && derived == 0 {
		return lineage.Output{Opaque: true} // a name nothing in scope has
	}
	return o
}

// expr returns what an expression reads into its value.
func (b *lineageBuilder) expr(n *pg.Node, sc *scope) lineage.Output {
	if n == nil {
		return lineage.Output{}
	}
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxLineageDepth {
		return lineage.Output{Opaque: true}
	}
	switch e := n.GetNode().(type) {
	case *pg.Node_ColumnRef:
		return b.columnRef(e.ColumnRef, sc)
	case *pg.Node_AConst, *pg.Node_ParamRef, *pg.Node_SqlvalueFunction, *pg.Node_SetToDefault:
		return lineage.Output{}
	case *pg.Node_NullTest:
		return b.measure(e.NullTest.Arg, sc)
	case *pg.Node_BooleanTest:
		return b.measure(e.BooleanTest.Arg, sc)
	case *pg.Node_BoolExpr:
		var o lineage.Output
		for _, a := range e.BoolExpr.Args {
			o = merge(o, b.expr(a, sc))
		}
		return o
	case *pg.Node_AExpr:
		return b.operator(e.AExpr, sc)
	case *pg.Node_TypeCast: // (a cast may cut a value short: varchar(4))
		return computed(b.expr(e.TypeCast.Arg, sc))
	case *pg.Node_CollateClause:
		return computed(b.expr(e.CollateClause.Arg, sc))
	case *pg.Node_AIndirection:
		return computed(b.expr(e.AIndirection.Arg, sc))
	case *pg.Node_CaseExpr:
		// The value is one of the results, chosen by the conditions: a
		// condition over a computed value (substr(ssn, 1, 1) = '5') makes
		// a lookup table of it.
		o := b.measure(e.CaseExpr.Arg, sc)
		for _, w := range e.CaseExpr.Args {
			cw := w.GetCaseWhen()
			o = merge(o, b.expr(cw.GetResult(), sc))
			o = merge(o, b.expr(cw.GetExpr(), sc))
		}
		return merge(o, b.expr(e.CaseExpr.Defresult, sc))
	case *pg.Node_FuncCall:
		return b.call(e.FuncCall, sc)
	case *pg.Node_SubLink:
		switch e.SubLink.SubLinkType {
		case pg.SubLinkType_EXPR_SUBLINK, pg.SubLinkType_ARRAY_SUBLINK:
			sel := e.SubLink.Subselect.GetSelectStmt()
			if sel == nil {
				return lineage.Output{Opaque: true}
			}
			var o lineage.Output
			for _, br := range b.branches(sel, sc) {
				for _, out := range br {
					o = merge(o, out)
				}
			}
			return o
		case pg.SubLinkType_EXISTS_SUBLINK, pg.SubLinkType_ALL_SUBLINK, pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ROWCOMPARE_SUBLINK:
			return lineage.Output{}
		}
		return lineage.Output{Opaque: true}
	}
	// Anything else (COALESCE, GREATEST, ARRAY[…], ROW(…), JSON and XML
	// constructors, …) reads what its parts read.
	var o lineage.Output
	b.children(n, func(c *pg.Node) { o = merge(o, b.expr(c, sc)) })
	return o
}

// children calls fn for each Node directly below n's expression.
func (b *lineageBuilder) children(n *pg.Node, fn func(*pg.Node)) {
	m := nodeInner(n)
	if m == nil {
		return
	}
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Message() == nil || fd.IsMap() {
				return true
			}
			each := func(x protoreflect.Message) {
				if c, ok := x.Interface().(*pg.Node); ok {
					fn(c)
				} else {
					visit(x) // a message that is not a Node (a list's wrapper, JsonValueExpr…)
				}
			}
			if fd.IsList() {
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					each(l.Get(i).Message())
				}
			} else {
				each(v.Message())
			}
			return true
		})
	}
	visit(m)
}

// comparisons are binary operators whose result is a boolean (~ is also
// bitwise NOT, and << and >> also shift bits: those read their operands).
var comparisons = setOf(`= <> != < > <= >= ~~ !~~ ~~* !~~* ~* !~ !~* @> <@ && ? ?| ?& @@ @@@ @? -|- &< &> <<| |>> &<| |&> ^@`)

// operator returns what an operator expression reads: nothing for one
// that yields a boolean, its operands for the others (||, +, ->>, …).
func (b *lineageBuilder) operator(e *pg.A_Expr, sc *scope) lineage.Output {
	switch e.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if len(e.Name) == 1 && e.Lexpr != nil && comparisons[e.Name[0].GetString_().GetSval()] {
			return merge(b.measure(e.Lexpr, sc), b.measure(e.Rexpr, sc))
		}
		return merge(b.expr(e.Lexpr, sc), b.expr(e.Rexpr, sc))
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		return b.expr(e.Lexpr, sc)
	}
	// IN, LIKE, BETWEEN, DISTINCT, ANY/ALL: booleans.
	return merge(b.measure(e.Lexpr, sc), b.measure(e.Rexpr, sc))
}

// measure returns what a boolean test, a comparison or a measure (count,
// length) of n shows of the data: nothing of a column itself or a constant
// (one bit, or a size, of it: an oracle dbward does not close), but all of
// a computed value, which can encode any part of a value in that bit or
// size (length(repeat('x', ascii(substr(secret, 1, 1))))).
func (b *lineageBuilder) measure(n *pg.Node, sc *scope) lineage.Output {
	if n == nil {
		return lineage.Output{}
	}
	if l := n.GetList(); l != nil { // (IN lists, BETWEEN bounds)
		var o lineage.Output
		for _, item := range l.Items {
			o = merge(o, b.measure(item, sc))
		}
		return o
	}
	o := b.expr(n, sc)
	if o.Direct || len(o.Refs) == 0 && !o.Opaque {
		return lineage.Output{}
	}
	return computed(o)
}

// readsOf returns what a built-in that reads tables itself returns data
// of: every column of the table table_to_xml('t', …) names, every column
// the query query_to_xml('SELECT …', …) returns.
func readsOf(name string, args []*pg.Node) lineage.Output {
	if len(args) == 0 {
		return lineage.Output{}
	}
	arg, ok := stringValue(args[0])
	if !ok {
		return lineage.Output{}
	}
	switch {
	case tableFunctions[name]:
		if rv, ok := regclassName(arg); ok {
			return lineage.Output{Refs: []lineage.Ref{{Rels: []lineage.Rel{{Schema: strings.ToLower(rv.Schemaname), Name: strings.ToLower(rv.Relname)}}, Column: "*"}}}
		}
	case sqlFunctions[name]:
		var o lineage.Output
		if q := Lineage(arg); q != nil {
			for _, br := range q.Branches {
				for _, out := range br {
					out.Star = false
					o = merge(o, out)
				}
			}
		}
		return o
	}
	return lineage.Output{}
}

// measures are built-ins that return how many or how long, not a value.
var measures = setOf(`count length char_length character_length octet_length bit_length
	array_length cardinality json_array_length jsonb_array_length pg_column_size`)

// call returns what a function call reads: a measure reads no value; a
// known built-in reads its arguments; any other function may read any
// table, so it is opaque.
func (b *lineageBuilder) call(fc *pg.FuncCall, sc *scope) lineage.Output {
	name := strings.TrimPrefix(functionName(fc.Funcname), "pg_catalog.")
	if measures[name] {
		var o lineage.Output
		for _, a := range fc.Args {
			o = merge(o, b.measure(a, sc))
		}
		return o
	}
	var o lineage.Output
	for _, a := range fc.Args {
		o = merge(o, b.expr(a, sc))
	}
	if fc.AggWithinGroup {
		// mode() WITHIN GROUP (ORDER BY ssn) returns one of the ssn.
		for _, sb := range fc.AggOrder {
			o = merge(o, b.expr(sb.GetSortBy().GetNode(), sc))
		}
	}
	if !PureFunction(name) {
		o.Opaque = true
		o = merge(o, readsOf(name, fc.Args))
	}
	if rowJSON[name] && len(fc.Args) == 1 && !fc.AggWithinGroup {
		o.Rows = b.wholeRows(fc.Args[0], sc)
	}
	return o
}

// rowJSON are built-ins that make JSON of a row (or rows), one key per
// column.
var rowJSON = setOf(`row_to_json to_json to_jsonb json_agg jsonb_agg array_to_json`)

// wholeRows reports whether an argument is whole rows of a table under
// its catalog column names (c or c.*, c neither renamed nor a sub-select)
// or JSON already made of them: what rowJSON functions keep each column
// of, under its own name.
func (b *lineageBuilder) wholeRows(arg *pg.Node, sc *scope) bool {
	if fc := arg.GetFuncCall(); fc != nil {
		return b.call(fc, sc).Rows
	}
	cr := arg.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 || len(cr.Fields) > 2 || len(cr.Fields) == 2 && !isStar(cr) {
		return false
	}
	name := strings.ToLower(cr.Fields[0].GetString_().GetSval())
	if len(cr.Fields) == 1 {
		// PostgreSQL reads a bare name as a column first: one of a derived
		// relation (or a renamed table) would make this no row at all.
		// (A table's column so named, the catalog tells: see mask.)
		for s := sc; s != nil; s = s.outer {
			for _, r := range s.rels {
				if r.base != nil && !r.unnamed {
					continue
				}
				if _, ok := r.column(name); ok || r.unnamed || r.opaque {
					return false
				}
			}
		}
	}
	r := sc.rel(name)
	return r != nil && r.base != nil && !r.unnamed && !r.opaque
}

// functionName is a FuncCall's name, lower-case, "schema.name" when
// qualified.
func functionName(parts []*pg.Node) string {
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		names = append(names, strings.ToLower(p.GetString_().GetSval()))
	}
	return strings.Join(names, ".")
}

// computed marks a value computed from o's.
func computed(o lineage.Output) lineage.Output {
	o.Direct = false
	return o
}

// merge returns what a value computed from both a and b reads.
func merge(a, b lineage.Output) lineage.Output {
	a.Opaque = a.Opaque || b.Opaque
	a.Star, a.Direct, a.Rows = false, false, false
	for _, r := range b.Refs {
		if b.Star {
			r.Column = "*"
		}
		a.Refs = append(a.Refs, r)
	}
	return a
}

// isStar reports whether a select-list column reference is `*` or `t.*`.
func isStar(cr *pg.ColumnRef) bool {
	return len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil
}

// targetName is a select-list entry's column name, lower-case.
func targetName(rt *pg.ResTarget) string {
	if rt.Name != "" {
		return strings.ToLower(rt.Name)
	}
	return strings.ToLower(columnName(rt.Val))
}

// columnName is the name PostgreSQL gives an unnamed select-list entry
// (its FigureColname), or "" where it gives "?column?": a reference from
// an outer query to a derived relation's column goes by it, so a name that
// differed from PostgreSQL's would tie the reference to another column.
func columnName(n *pg.Node) string {
	name, _ := figureColname(n)
	return name
}

// figureColname follows PostgreSQL's FigureColnameInternal: a name and
// its strength (2: a real name, 1: a fallback a cast or CASE may improve
// on, 0: none).
func figureColname(n *pg.Node) (string, int) {
	switch e := n.GetNode().(type) {
	case *pg.Node_ColumnRef:
		if f := e.ColumnRef.Fields; len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
	case *pg.Node_AIndirection:
		ind := e.AIndirection.Indirection
		for i := len(ind) - 1; i >= 0; i-- { // (the last field name; subscripts do not name)
			if s := ind[i].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
		return figureColname(e.AIndirection.Arg)
	case *pg.Node_FuncCall:
		if f := e.FuncCall.Funcname; len(f) > 0 {
			return f[len(f)-1].GetString_().GetSval(), 2
		}
	case *pg.Node_AExpr:
		if e.AExpr.Kind == pg.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg.Node_TypeCast:
		name, strength := figureColname(e.TypeCast.Arg)
		if strength <= 1 {
			if f := e.TypeCast.TypeName.GetNames(); len(f) > 0 {
				return f[len(f)-1].GetString_().GetSval(), 1
			}
		}
		return name, strength
	case *pg.Node_CollateClause:
		return figureColname(e.CollateClause.Arg)
	case *pg.Node_GroupingFunc:
		return "grouping", 2
	case *pg.Node_SubLink:
		switch e.SubLink.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg.SubLinkType_EXPR_SUBLINK, pg.SubLinkType_MULTIEXPR_SUBLINK:
			if sel := e.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) > 0 {
				if rt := sel.TargetList[0].GetResTarget(); rt != nil {
					if name := targetName(rt); name != "" {
						return name, 2
					}
				}
			}
		}
	case *pg.Node_CaseExpr:
		name, strength := figureColname(e.CaseExpr.Defresult)
		if strength <= 1 {
			return "case", 1
		}
		return name, strength
	case *pg.Node_AArrayExpr:
		return "array", 2
	case *pg.Node_RowExpr:
		return "row", 2
	case *pg.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg.Node_MinMaxExpr:
		if e.MinMaxExpr.Op == pg.MinMaxOp_IS_GREATEST {
			return "greatest", 2
		}
		return "least", 2
	case *pg.Node_XmlExpr:
		if name := xmlNames[e.XmlExpr.Op]; name != "" {
			return name, 2
		}
	case *pg.Node_XmlSerialize:
		return "xmlserialize", 2
	case *pg.Node_SqlvalueFunction:
		return sqlValueNames[e.SqlvalueFunction.Op], 2
	}
	return "", 0
}

var xmlNames = map[pg.XmlExprOp]string{
	pg.XmlExprOp_IS_XMLCONCAT: "xmlconcat", pg.XmlExprOp_IS_XMLELEMENT: "xmlelement", pg.XmlExprOp_IS_XMLFOREST: "xmlforest",
	pg.XmlExprOp_IS_XMLPARSE: "xmlparse", pg.XmlExprOp_IS_XMLPI: "xmlpi", pg.XmlExprOp_IS_XMLROOT: "xmlroot",
	pg.XmlExprOp_IS_XMLSERIALIZE: "xmlserialize", pg.XmlExprOp_IS_DOCUMENT: "",
}

var sqlValueNames = map[pg.SQLValueFunctionOp]string{
	pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE: "current_date", pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME: "current_time",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N: "current_time", pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp", pg.SQLValueFunctionOp_SVFOP_LOCALTIME: "localtime",
	pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N: "localtime", pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP: "localtimestamp",
	pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N: "localtimestamp", pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE: "current_role",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_USER: "current_user", pg.SQLValueFunctionOp_SVFOP_USER: "user",
	pg.SQLValueFunctionOp_SVFOP_SESSION_USER: "session_user", pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG: "current_catalog",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA: "current_schema",
}

// cursorOf returns the cursor a DECLARE names, that a FETCH reads, or
// that a CLOSE closes ("*": all).
func cursorOf(n *pg.Node) (declare, fetch, close string) {
	switch s := n.GetNode().(type) {
	case *pg.Node_DeclareCursorStmt:
		return s.DeclareCursorStmt.Portalname, "", ""
	case *pg.Node_FetchStmt:
		if !s.FetchStmt.Ismove {
			return "", s.FetchStmt.Portalname, ""
		}
	case *pg.Node_ClosePortalStmt:
		if s.ClosePortalStmt.Portalname == "" {
			return "", "", "*"
		}
		return "", "", s.ClosePortalStmt.Portalname
	}
	return "", "", ""
}

// returningQuery is the lineage of a top-level INSERT, UPDATE or DELETE:
// its RETURNING list's and what it writes, or nil.
func (b *lineageBuilder) returningQuery(n *pg.Node) *lineage.Query {
	outs, _, ok := b.returning(n, nil)
	switch {
	case !ok:
		return nil
	case len(outs) == 0 && len(b.written) == 0:
		return nil
	case len(outs) == 0:
		return &lineage.Query{Written: b.written} // (no rows: what it writes, for policy)
	}
	return &lineage.Query{Branches: [][]lineage.Output{outs}, Written: b.written}
}

// returning returns the outputs of an INSERT, UPDATE or DELETE's
// RETURNING list, and their names: the target table and the FROM/USING
// items are in scope. ok is false for another statement.
func (b *lineageBuilder) returning(n *pg.Node, outer *scope) (outs []lineage.Output, names []string, ok bool) {
	var w *pg.WithClause
	var rel *pg.RangeVar
	var from, list []*pg.Node
	var ins *pg.InsertStmt
	var upd *pg.UpdateStmt
	switch m := n.GetNode().(type) {
	case *pg.Node_InsertStmt:
		ins = m.InsertStmt
		w, rel, list = ins.WithClause, ins.Relation, ins.ReturningList
	case *pg.Node_UpdateStmt:
		upd = m.UpdateStmt
		w, rel, from, list = upd.WithClause, upd.Relation, upd.FromClause, upd.ReturningList
	case *pg.Node_DeleteStmt:
		w, rel, from, list = m.DeleteStmt.WithClause, m.DeleteStmt.Relation, m.DeleteStmt.UsingClause, m.DeleteStmt.ReturningList
	default:
		return nil, nil, false
	}
	if rel == nil {
		return nil, nil, false
	}
	sc := b.withScope(w, outer)
	sc = b.fromScope(from, sc)
	target := b.table(rel)
	sc.rels = append([]*scopeRel{target}, sc.rels...)
	// RETURNING shows the values the statement wrote: a column assigned
	// from an expression returns that expression's data.
	assigned, all := b.assignments(ins, upd, sc)
	if target.base != nil {
		for col, a := range assigned {
			b.written = append(b.written, lineage.Write{Rel: *target.base, Column: col, From: a})
		}
		if len(all.Refs) > 0 || all.Opaque {
			b.written = append(b.written, lineage.Write{Rel: *target.base, Column: "*", From: all})
		}
	}
	for _, t := range list {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			stars := b.star(cr, sc) // (what was written: see Query.Written)
			outs = append(outs, stars...)
			names = append(names, make([]string, len(stars))...)
			continue
		}
		o := b.expr(rt.Val, sc)
		for _, r := range o.Refs {
			if len(r.Rels) != 1 || target.base == nil || r.Rels[0] != *target.base {
				continue
			}
			if a, ok := assigned[r.Column]; ok {
				o = merge(o, a)
			} else if r.Column == "*" {
				for _, a := range assigned {
					o = merge(o, a)
				}
			}
			if len(all.Refs) > 0 || all.Opaque {
				o = merge(o, all)
			}
		}
		outs, names = append(outs, o), append(names, targetName(rt))
	}
	return outs, names, true
}

// assignments returns what an UPDATE's SET or an INSERT's columns (and ON
// CONFLICT's SET) write, by column; all is what is written to columns
// whose names the text does not give (an INSERT without a column list).
func (b *lineageBuilder) assignments(ins *pg.InsertStmt, upd *pg.UpdateStmt, sc *scope) (assigned map[string]lineage.Output, all lineage.Output) {
	assigned = map[string]lineage.Output{}
	set := func(targets []*pg.Node, sc *scope) {
		for _, t := range targets {
			if rt := t.GetResTarget(); rt != nil && rt.Name != "" {
				assigned[strings.ToLower(rt.Name)] = merge(assigned[strings.ToLower(rt.Name)], b.expr(rt.Val, sc))
			}
		}
	}
	if upd != nil {
		set(upd.TargetList, sc)
		return assigned, all
	}
	if ins == nil || ins.SelectStmt == nil {
		return assigned, all
	}
	var written []lineage.Output
	if sel := ins.SelectStmt.GetSelectStmt(); sel != nil {
		for _, br := range b.branches(sel, sc.outer) {
			for i, o := range br {
				if i == len(written) {
					written = append(written, lineage.Output{})
				}
				written[i] = merge(written[i], o)
			}
		}
	}
	for _, o := range written {
		all = merge(all, o)
	}
	if len(ins.Cols) > 0 && len(ins.Cols) == len(written) {
		for i, c := range ins.Cols {
			if rt := c.GetResTarget(); rt != nil {
				assigned[strings.ToLower(rt.Name)] = computed(written[i])
			}
		}
		all = lineage.Output{}
	}
	if oc := ins.OnConflictClause; oc != nil {
		// excluded.x is the row that was to be inserted.
		excluded := &scopeRel{alias: "excluded", unnamed: true, outs: []lineage.Output{merge(lineage.Output{}, merge(all, mergeAll(assigned)))}}
		set(oc.TargetList, &scope{rels: append([]*scopeRel{excluded}, sc.rels...), outer: sc.outer})
	}
	return assigned, all
}

// mergeAll merges outputs.
func mergeAll(m map[string]lineage.Output) lineage.Output {
	var o lineage.Output
	for _, x := range m {
		o = merge(o, x)
	}
	return o
}
