package analyze

import (
	"encoding/json"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// doBlock judges a DO block by the statements its body will run. PL/pgSQL
// bodies are parsed with pg_query's PL/pgSQL parser; every embedded SQL
// statement and expression is analysed as SQL; EXECUTE of a constant string
// is analysed as that string; EXECUTE of anything computed is unknown.
func (f *facts) doBlock(s *pg.DoStmt) {
	f.literal = true // the body is a string literal
	var body, lang string
	for _, a := range s.Args {
		d := a.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "as":
			body = constString(d.Arg)
		case "language":
			lang = strings.ToLower(constString(d.Arg))
		}
	}
	if lang != "" && lang != "plpgsql" {
		f.unknown(FlagDynamicSQL) // another language: dbward cannot read it
		return
	}
	if f.depth >= maxDepth || strings.Contains(body, "$dbward_do$") {
		f.unknown(FlagDynamicSQL)
		return
	}
	out, err := pg.ParsePlPgSqlToJSON("CREATE FUNCTION dbward_do() RETURNS void LANGUAGE plpgsql AS $dbward_do$" + body + "$dbward_do$")
	if err != nil {
		f.unknown(FlagDynamicSQL) // the server would refuse it too; still, do not guess
		return
	}
	var tree any
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		f.unknown(FlagDynamicSQL)
		return
	}
	f.plpgsql(tree, false)
}

// plpgsql walks the PL/pgSQL JSON tree. dynamic is true under a field whose
// expression is executed as SQL text (EXECUTE, FOR … IN EXECUTE, RETURN
// QUERY EXECUTE, OPEN … FOR EXECUTE).
func (f *facts) plpgsql(v any, dynamic bool) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			f.plpgsql(x, dynamic)
		}
	case map[string]any:
		if e, ok := v["PLpgSQL_expr"].(map[string]any); ok {
			q, _ := e["query"].(string)
			mode, _ := e["parseMode"].(float64)
			if dynamic {
				f.dynamicSQL(q)
			} else {
				f.embedded(q, int(mode))
			}
			return
		}
		// Statement order matters for Commands: walk keys in a fixed order.
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x := v[k]
			switch {
			case k == "dynquery":
				f.plpgsql(x, true)
			case k == "PLpgSQL_stmt_dynexecute" || k == "PLpgSQL_stmt_dynfors":
				if m, ok := x.(map[string]any); ok {
					for k2, y := range m {
						f.plpgsql(y, k2 == "query")
					}
				}
			default:
				f.plpgsql(x, dynamic)
			}
		}
	}
}

// embedded analyses SQL embedded in PL/pgSQL. Mode 0 is a whole statement;
// the others are expressions (mode ≥ 3: assignments "x := expr").
func (f *facts) embedded(q string, mode int) {
	if mode >= 3 {
		if i := strings.Index(q, ":="); i >= 0 {
			q = q[i+2:]
		}
	}
	if mode != 0 {
		q = "SELECT " + q
	}
	f.nested(q)
}

// dynamicSQL judges the argument of EXECUTE: a constant string is analysed
// as SQL, anything else cannot be known.
func (f *facts) dynamicSQL(expr string) {
	tree, err := pg.Parse("SELECT " + expr)
	if err == nil && len(tree.Stmts) == 1 {
		if sel := tree.Stmts[0].Stmt.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
			if rt := sel.TargetList[0].GetResTarget(); rt != nil {
				if c := rt.Val.GetAConst(); c != nil && c.GetSval() != nil {
					f.nested(c.GetSval().Sval)
					return
				}
			}
		}
	}
	f.unknown(FlagDynamicSQL)
}

// nested analyses a SQL string found inside another statement.
func (f *facts) nested(sql string) {
	if f.depth >= maxDepth {
		f.unknown(FlagDynamicSQL)
		return
	}
	tree, err := pg.Parse(sql)
	if err != nil {
		f.unknown(FlagDynamicSQL)
		return
	}
	f.depth++
	defer func() { f.depth-- }()
	for _, rs := range tree.Stmts {
		f.stmt(rs.Stmt)
	}
}
