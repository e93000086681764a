package preview

import (
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// effectCTE names the data-modifying CTE a dry run wraps the statement in.
// The statement's own WITH stays on it, inside the CTE, so its names
// cannot clash with this one.
const effectCTE = "dbward_effect"

// plan is how a statement is dry-run.
type plan struct {
	command string // DELETE, UPDATE, INSERT, MERGE
	target  string // the target as written, quoted for to_regclass: "public"."orders"
	// count runs the statement as a data-modifying CTE returning its
	// target's whole rows: the first column counts them all, the rest are a
	// sample. "": the statement runs as written and its command tag counts.
	count string
	// before reads, as they are, a sample of the rows an UPDATE changes.
	before string
	note   string // what this plan cannot show (Effect.Note)
}

// planFor reads text and plans its dry run; sample bounds the rows a
// sample holds. An error wraps ErrNotPreviewable.
func planFor(text string, sample int) (*plan, error) {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPreviewable, err)
	}
	if len(tree.Stmts) != 1 {
		return nil, fmt.Errorf("%w: %d statements, want one", ErrNotPreviewable, len(tree.Stmts))
	}
	var sc scanned
	sc.scan(tree.ProtoReflect())
	switch {
	case sc.currentOf:
		return nil, fmt.Errorf("%w: WHERE CURRENT OF a cursor", ErrNotPreviewable)
	case sc.writes > 1:
		// A data-modifying CTE, wherever it hides, would write a second
		// table that the count and the sample do not show.
		return nil, fmt.Errorf("%w: a write inside the statement", ErrNotPreviewable)
	}
	node := tree.Stmts[0].Stmt
	p := &plan{}
	var (
		rel       *pg_query.RangeVar
		returning *[]*pg_query.Node
	)
	switch n := node.Node.(type) {
	case *pg_query.Node_DeleteStmt:
		s := n.DeleteStmt
		p.command, rel, returning = "DELETE", s.Relation, &s.ReturningList
	case *pg_query.Node_UpdateStmt:
		s := n.UpdateStmt
		p.command, rel, returning = "UPDATE", s.Relation, &s.ReturningList
		p.note = "The samples before and after are read apart: they need not show the same rows in the same order."
	case *pg_query.Node_InsertStmt:
		s := n.InsertStmt
		p.command, rel, returning = "INSERT", s.Relation, &s.ReturningList
		if s.OnConflictClause.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			p.note = "Rows that ON CONFLICT would update are counted and shown with the inserted ones, as they would be."
		}
	case *pg_query.Node_MergeStmt:
		p.command, rel = "MERGE", n.MergeStmt.Relation
		p.note = "A MERGE shows no sample rows: it is counted by its command tag."
	default:
		return nil, fmt.Errorf("%w: not an INSERT, UPDATE, DELETE or MERGE", ErrNotPreviewable)
	}
	if rel == nil || rel.Relname == "" {
		return nil, fmt.Errorf("%w: no target table", ErrNotPreviewable)
	}
	p.target = quoteIdent(rel.Relname)
	if rel.Schemaname != "" {
		p.target = quoteIdent(rel.Schemaname) + "." + p.target
	}
	if returning == nil { // MERGE
		return p, nil
	}
	if s := node.GetUpdateStmt(); s != nil {
		if p.before, err = beforeQuery(s, sample); err != nil {
			return fallback(p, err), nil
		}
	}
	// RETURNING the target's whole rows (a RETURNING of its own is
	// replaced): under its alias if it has one, as the name is hidden then.
	*returning = []*pg_query.Node{star(rel)}
	if p.count, err = countQuery(node, sample); err != nil {
		return fallback(p, err), nil
	}
	return p, nil
}

// fallback makes p run its statement as written, counted by its tag.
func fallback(p *plan, err error) *plan {
	p.count, p.before = "", ""
	p.note = fmt.Sprintf("No sample rows: dbward could not rewrite the statement to read them (%v); it is counted by its command tag.", err)
	return p
}

// countQuery wraps the write in node (its own WITH kept on it): its CTE
// runs to completion whatever the LIMIT, and the window count sees every
// row it returns, so only the sample is sent.
func countQuery(node *pg_query.Node, sample int) (string, error) {
	q, err := pg_query.Parse(fmt.Sprintf("WITH %s AS (SELECT 1) SELECT count(*) OVER (), * FROM %s LIMIT %d", effectCTE, effectCTE, sample))
	if err != nil {
		return "", err
	}
	q.Stmts[0].Stmt.GetSelectStmt().WithClause.Ctes[0].GetCommonTableExpr().Ctequery = node
	return deparse(q, 1)
}

// beforeQuery reads, as they are, a sample of the rows an UPDATE changes:
// its target (ONLY and alias kept) where its WHERE holds, with its WITH.
// A FROM list goes into an EXISTS, so a target row that joins several of
// its rows is read once, as the UPDATE changes it once.
func beforeQuery(s *pg_query.UpdateStmt, sample int) (string, error) {
	tmpl := "SELECT x.* FROM x WHERE true LIMIT %d"
	if len(s.FromClause) > 0 {
		tmpl = "SELECT x.* FROM x WHERE EXISTS (SELECT 1 FROM y WHERE true) LIMIT %d"
	}
	q, err := pg_query.Parse(fmt.Sprintf(tmpl, sample))
	if err != nil {
		return "", err
	}
	sel := q.Stmts[0].Stmt.GetSelectStmt()
	sel.WithClause = s.WithClause
	sel.TargetList = []*pg_query.Node{star(s.Relation)}
	sel.FromClause = []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: s.Relation}}}
	if len(s.FromClause) == 0 {
		sel.WhereClause = s.WhereClause
	} else {
		sub := sel.WhereClause.GetSubLink().Subselect.GetSelectStmt()
		sub.FromClause, sub.WhereClause = s.FromClause, s.WhereClause
	}
	return deparse(q, 0)
}

// deparse writes q as SQL, and reads it back to check it is one SELECT
// holding writes writes: what the parser accepts, the deparser may not
// write back as it was (a parameter $0 comes out as "?").
func deparse(q *pg_query.ParseResult, writes int) (string, error) {
	sql, err := pg_query.Deparse(q)
	if err != nil {
		return "", err
	}
	back, err := pg_query.Parse(sql)
	if err != nil {
		return "", fmt.Errorf("it reads back as %v", err)
	}
	var sc scanned
	sc.scan(back.ProtoReflect())
	if len(back.Stmts) != 1 || back.Stmts[0].Stmt.GetSelectStmt() == nil || sc.writes != writes {
		return "", errors.New("it reads back as another statement")
	}
	return sql, nil
}

// star is rel.* as a target list entry, rel named by its alias if it has one.
func star(rel *pg_query.RangeVar) *pg_query.Node {
	name := rel.Relname
	if rel.Alias != nil && rel.Alias.Aliasname != "" {
		name = rel.Alias.Aliasname
	}
	return pg_query.MakeResTargetNodeWithVal(
		pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(name), pg_query.MakeAStarNode()}, -1), -1)
}

// scanned is what a walk of a whole parse tree found.
type scanned struct {
	writes    int  // INSERT, UPDATE, DELETE and MERGE statements, at any depth
	currentOf bool // WHERE CURRENT OF
}

// scan walks every node under m. (pg_query's nodes are protobuf messages,
// so reflection reaches them all without a case per node type.)
func (sc *scanned) scan(m protoreflect.Message) {
	switch m.Interface().(type) {
	case *pg_query.InsertStmt, *pg_query.UpdateStmt, *pg_query.DeleteStmt, *pg_query.MergeStmt:
		sc.writes++
	case *pg_query.CurrentOfExpr:
		sc.currentOf = true
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil || fd.IsMap():
		case fd.IsList():
			for i := range v.List().Len() {
				sc.scan(v.List().Get(i).Message())
			}
		default:
			sc.scan(v.Message())
		}
		return true
	})
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
