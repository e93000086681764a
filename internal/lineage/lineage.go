// Package lineage says where the columns of a query's result come from,
// by name, as the query's text tells it: analysis (internal/analyze) finds
// it in the parse tree, masking (internal/mask) resolves the names against
// the datastore's catalog. PostgreSQL names the source of a result column
// itself only when the column is a plain column reference; for an
// expression (lower(email), substr(card, 1, 8), max(ssn)), a set operation
// or a view, this is how dbward knows what the values are made of.
package lineage

// Rel names a relation as a query names it; Schema is "" when unqualified.
type Rel struct {
	Schema string
	Name   string
}

// Ref is a column a value is computed from: Column of whichever of Rels
// has it (an unqualified column name may belong to any relation in scope;
// PostgreSQL rejects a query where it belongs to two). Column "*" is every
// column of the relation: a whole-row reference (row_to_json(c)).
// An Optional ref is one reading of an ambiguous name that may not exist
// (in row_to_json(c), c is a column if some relation has one so named,
// else the row of the relation c).
type Ref struct {
	Rels     []Rel
	Column   string
	Optional bool
}

// Output is where one column of a result comes from.
type Output struct {
	// Refs are the columns the value is computed from. None: a constant,
	// a parameter, a count, a comparison — nothing read from a table
	// shows through.
	Refs []Ref
	// Star stands for several result columns: those of Refs[0].Rels[0] in
	// catalog order (a `*` or `t.*` in a select list over a table). A Star
	// without Refs is a `*` whose columns analysis cannot count (over a
	// function, a join USING): the result cannot be lined up with it.
	Star bool
	// Stored narrows a Star to the columns a table stores: COPY t TO
	// STDOUT leaves generated columns out.
	Stored bool
	// Opaque is set when the value comes from something whose inputs
	// cannot be seen in the text: a function that is not a known built-in
	// (it may read any table), a table function, a construct analysis does
	// not follow.
	Opaque bool
	// Direct is set when the value is a column's own, unchanged: a plain
	// column reference (through sub-selects and CTEs). Any other value is
	// computed, and a mask that keeps part of a value (the last digits)
	// would keep part of a part: substr(card, 1, 4) masked so would be
	// the card's first digits.
	Direct bool
	// Rows is set when the value is JSON made of whole rows
	// (row_to_json(c), to_jsonb(c), json_agg(c)): each column's value is
	// in it, unchanged, under the column's name.
	Rows bool
}

// Query is the lineage of a statement's result: its columns in order, or
// for a set operation (UNION, INTERSECT, EXCEPT) one list per branch,
// which line up by position once stars are expanded.
type Query struct {
	Branches [][]Output
	// Written is what an INSERT or UPDATE writes: its RETURNING shows the
	// written values, which PostgreSQL ties to the table's columns.
	Written []Write
}

// Write is a column an INSERT or UPDATE sets from an expression (Column
// "*": some column the text does not name).
type Write struct {
	Rel    Rel
	Column string
	From   Output
}
