package preview

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ErrNotPreviewable is returned, wrapped with the reason, for text that is
// not one INSERT, UPDATE, DELETE or MERGE.
var ErrNotPreviewable = errors.New("not previewable")

// effectCTE names the dry run's data-modifying CTE.
const effectCTE = "dbward_effect"

// plan is how a statement is dry-run.
type plan struct {
	command string // DELETE, UPDATE, INSERT, MERGE
	schema  string // as written ("" when not qualified)
	table   string
	// count runs the statement as a data-modifying CTE returning its
	// target's rows: the first column counts them all, the rest are a
	// sample. "" (MERGE): the statement runs as written and its command
	// tag counts.
	count string
	// before reads a sample of the rows an UPDATE changes, as they are.
	before string
}

// planFor reads text and builds its plan; sample bounds the rows a
// sample holds.
func planFor(text string, sample int) (*plan, error) {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPreviewable, err)
	}
	if len(tree.Stmts) != 1 {
		return nil, fmt.Errorf("%w: %d statements, want one", ErrNotPreviewable, len(tree.Stmts))
	}
	node := tree.Stmts[0].Stmt
	var (
		p         plan
		rel       *pg_query.RangeVar
		with      *pg_query.WithClause
		returning *[]*pg_query.Node
	)
	switch {
	case node.GetDeleteStmt() != nil:
		s := node.GetDeleteStmt()
		p.command, rel, with, returning = "DELETE", s.Relation, s.WithClause, &s.ReturningList
		s.WithClause = nil
	case node.GetUpdateStmt() != nil:
		s := node.GetUpdateStmt()
		p.command, rel, with, returning = "UPDATE", s.Relation, s.WithClause, &s.ReturningList
		if s.WhereClause.GetCurrentOfExpr() != nil {
			return nil, fmt.Errorf("%w: WHERE CURRENT OF a cursor", ErrNotPreviewable)
		}
		before, err := beforeQuery(s, sample)
		if err != nil {
			return nil, err
		}
		p.before = before
		s.WithClause = nil
	case node.GetInsertStmt() != nil:
		s := node.GetInsertStmt()
		p.command, rel, with, returning = "INSERT", s.Relation, s.WithClause, &s.ReturningList
		s.WithClause = nil
	case node.GetMergeStmt() != nil:
		s := node.GetMergeStmt()
		p.command, rel, with = "MERGE", s.Relation, s.WithClause
	default:
		return nil, fmt.Errorf("%w: not an INSERT, UPDATE, DELETE or MERGE", ErrNotPreviewable)
	}
	if rel == nil {
		return nil, fmt.Errorf("%w: no target table", ErrNotPreviewable)
	}
	p.schema, p.table = rel.Schemaname, rel.Relname
	if modifies(with) {
		return nil, fmt.Errorf("%w: a WITH clause that writes", ErrNotPreviewable)
	}
	if returning == nil {
		p.count = ""
		return &p, nil
	}
	// RETURNING the target's whole rows, under its alias if it has one.
	name := rel.Relname
	if rel.Alias != nil && rel.Alias.Aliasname != "" {
		name = rel.Alias.Aliasname
	}
	*returning = []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(
		pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(name), pg_query.MakeAStarNode()}, -1), -1)}
	outer, err := pg_query.Parse(fmt.Sprintf("WITH %s AS (SELECT 1) SELECT count(*) OVER (), * FROM %s LIMIT %d", effectCTE, effectCTE, sample))
	if err != nil {
		return nil, fmt.Errorf("building the dry run: %w", err)
	}
	sel := outer.Stmts[0].Stmt.GetSelectStmt()
	ctes := sel.WithClause.Ctes
	ctes[0].GetCommonTableExpr().Ctequery = node
	if with != nil {
		// The statement's own CTEs come first: its body reads them.
		ctes = append(append([]*pg_query.Node(nil), with.Ctes...), ctes...)
		sel.WithClause.Recursive = with.Recursive
	}
	sel.WithClause.Ctes = ctes
	if p.count, err = pg_query.Deparse(outer); err != nil {
		return nil, fmt.Errorf("building the dry run: %w", err)
	}
	return &p, nil
}

// beforeQuery reads, as they are, a sample of the rows an UPDATE changes:
// its target (under its alias) joined with its FROM list, where its WHERE
// holds, with its WITH.
func beforeQuery(s *pg_query.UpdateStmt, sample int) (string, error) {
	q, err := pg_query.Parse(fmt.Sprintf("SELECT * FROM x LIMIT %d", sample))
	if err != nil {
		return "", err
	}
	sel := q.Stmts[0].Stmt.GetSelectStmt()
	name := s.Relation.Relname
	if s.Relation.Alias != nil && s.Relation.Alias.Aliasname != "" {
		name = s.Relation.Alias.Aliasname
	}
	sel.TargetList = []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(
		pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(name), pg_query.MakeAStarNode()}, -1), -1)}
	sel.FromClause = append([]*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: s.Relation}}}, s.FromClause...)
	sel.WhereClause = s.WhereClause
	sel.WithClause = s.WithClause
	return pg_query.Deparse(q)
}

// modifies reports whether a WITH clause holds a data-modifying CTE.
func modifies(w *pg_query.WithClause) bool {
	if w == nil {
		return false
	}
	for _, c := range w.Ctes {
		q := c.GetCommonTableExpr().GetCtequery()
		if q.GetSelectStmt() == nil {
			return true
		}
	}
	return false
}
