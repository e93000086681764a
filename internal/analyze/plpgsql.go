package analyze

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// doBlock judges a DO block by what its body will run. A PL/pgSQL body is
// parsed with PostgreSQL's PL/pgSQL parser (through pg_query, which wants
// it as the body of a CREATE FUNCTION), and every SQL statement and
// expression in it is judged as SQL: the statements run now, as part of
// the DO. EXECUTE of a constant string is judged as that string; EXECUTE
// of anything computed cannot be known (FlagDynamicSQL). A body in any
// other language cannot be read at all.
func (f *facts) doBlock(s *pg.DoStmt) {
	f.literal = true // the body is a literal
	body, lang, ok := "", "plpgsql", false
	for _, a := range s.Args {
		d := a.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "as":
			body, ok = stringValue(d.Arg)
		case "language":
			l, _ := stringValue(d.Arg)
			lang = strings.ToLower(l)
		}
	}
	if !ok || lang != "plpgsql" || f.nesting >= maxNesting {
		f.unknown(FlagDynamicSQL)
		return
	}
	src := "CREATE FUNCTION dbward_do() RETURNS void LANGUAGE plpgsql AS '" + strings.ReplaceAll(body, "'", "''") + "'"
	out, err := pg.ParsePlPgSqlToJSON(src)
	if err != nil {
		f.unknown(FlagDynamicSQL) // the server would refuse it too; still, no guessing
		return
	}
	f.nesting++
	defer func() { f.nesting-- }()
	w := plWalker{f: f, dec: json.NewDecoder(strings.NewReader(out))}
	if err := w.value("", ""); err != nil {
		f.unknown(FlagDynamicSQL)
	}
}

// plWalker walks pg_query's JSON form of a PL/pgSQL function in document
// order — the order of the source, except that a loop's query comes after
// its body — so that Commands list inner statements in a stable order.
type plWalker struct {
	f   *facts
	dec *json.Decoder
}

// plExpr is a PLpgSQL_expr: SQL text and how PL/pgSQL parses it
// (RawParseMode: 0 a statement, 1 a type name, 2 an expression, 3-5 an
// assignment "target := expression").
type plExpr struct {
	Query     string `json:"query"`
	ParseMode int    `json:"parseMode"`
}

// value reads one JSON value; parent is the PL/pgSQL node type whose
// field it is, key the field name.
func (w *plWalker) value(parent, key string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch d {
	case '[':
		for w.dec.More() {
			if err := w.value(parent, key); err != nil {
				return err
			}
		}
	case '{':
		for w.dec.More() {
			t, err := w.dec.Token()
			if err != nil {
				return err
			}
			k, _ := t.(string)
			switch {
			case k == "PLpgSQL_expr":
				var e plExpr
				if err := w.dec.Decode(&e); err != nil {
					return err
				}
				w.expr(e, key == "dynquery" || key == "query" &&
					(parent == "PLpgSQL_stmt_dynexecute" || parent == "PLpgSQL_stmt_dynfors"))
				continue
			case k == "PLpgSQL_stmt_commit":
				w.f.addCommand("COMMIT")
				w.f.raise(KindTransaction)
			case k == "PLpgSQL_stmt_rollback":
				w.f.addCommand("ROLLBACK")
				w.f.raise(KindTransaction)
			}
			p := parent
			if strings.HasPrefix(k, "PLpgSQL_") {
				p = k // a node: what follows are its fields
			}
			if err := w.value(p, k); err != nil {
				return err
			}
		}
	}
	_, err = w.dec.Token() // the closing delimiter
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// expr judges SQL embedded in PL/pgSQL; dynamic is true for the argument
// of EXECUTE (a string computed at run time, then run as SQL).
func (w *plWalker) expr(e plExpr, dynamic bool) {
	f := w.f
	switch {
	case dynamic:
		f.dynamicSQL(e.Query)
	case e.ParseMode == 0:
		f.nested(e.Query)
	case e.ParseMode == 1:
		// a type name: runs nothing
	case e.ParseMode == 2:
		f.nestedExpr(e.Query)
	default:
		f.nestedExpr(assignmentAsList(e.Query))
	}
}

// assignmentAsList turns "target := expr" (or "target = expr") into
// "target, expr", a list that parses as SQL expressions and keeps both
// sides: subscripts of the target are expressions too.
func assignmentAsList(q string) string {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '\'', '"':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				return q
			}
			i += j + 1
		case ':', '=':
			if depth != 0 {
				continue
			}
			if c == ':' && i+1 < len(q) && q[i+1] == '=' {
				return q[:i] + "," + q[i+2:]
			}
			if c == '=' {
				return q[:i] + "," + q[i+1:]
			}
		}
	}
	return q
}

// nestedExpr judges a PL/pgSQL expression: it is evaluated as
// SELECT <expr>, a sub-select of the DO rather than a command of its own.
func (f *facts) nestedExpr(expr string) {
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil {
		f.unknown(FlagDynamicSQL)
		return
	}
	for i, rs := range tree.Stmts {
		if sel := rs.Stmt.GetSelectStmt(); i == 0 && sel != nil {
			f.selectStmt(sel, false)
			continue
		}
		f.stmt(rs.Stmt)
	}
}

// dynamicSQL judges the argument of a PL/pgSQL EXECUTE: a constant string
// is judged as the SQL it holds; anything else cannot be known.
func (f *facts) dynamicSQL(expr string) {
	f.literal = true
	tree, err := pg.Parse("SELECT " + expr)
	if err == nil && len(tree.Stmts) == 1 {
		if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 &&
			len(sel.FromClause) == 0 && sel.WhereClause == nil {
			if rt := sel.TargetList[0].GetResTarget(); rt != nil {
				if sql, ok := stringValue(rt.Val); ok {
					f.nested(sql)
					return
				}
			}
		}
	}
	f.unknown(FlagDynamicSQL)
}
