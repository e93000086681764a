package analyze

import "strings"

// A template is the facts of a text, kept to serve other texts of the same
// shape or fingerprint: the statements without their Text, and for shapes
// where each statement's text lies.
type template struct {
	stmts []Statement
	cuts  []cut // per statement (shape templates only)
	semis int   // semicolons in the shape
}

// cut locates a statement by the semicolons around it: its text runs from
// after semicolon from (-1: the start of the text) to semicolon to (-1:
// the end of the text). Texts of one shape have their semicolons in the
// same places relative to their tokens, so the same cut finds the same
// statement in each.
type cut struct{ from, to int }

// newShapeTemplate makes a shape template from the analysis of sql, whose
// semicolons are at semis. It returns nil when a statement's range does
// not fall on semicolons (the parser cuts statements at semicolons, so
// this does not happen) or cutting sql again would not give the same
// texts.
func newShapeTemplate(sql string, r analysis, semis []int) *template {
	t := &template{stmts: r.stmts, cuts: make([]cut, len(r.stmts)), semis: len(semis)}
	for i, sp := range r.spans {
		c := cut{from: -1, to: -1}
		if sp[0] > 0 {
			if c.from = indexOf(semis, sp[0]-1); c.from < 0 {
				return nil
			}
		}
		if sp[1] < len(sql) {
			if c.to = indexOf(semis, sp[1]); c.to < 0 {
				return nil
			}
		}
		t.cuts[i] = c
		if t.text(sql, semis, i) != r.stmts[i].Text {
			return nil
		}
	}
	return t
}

// singleStatementTemplate makes a shape template from the facts of a
// one-statement text served by fingerprint, when its Text (trimStatement)
// is also what cutting at semicolons gives: no semicolon, or one at the
// end. Otherwise it returns nil.
func singleStatementTemplate(sql string, stmts []Statement, semis []int) *template {
	c := cut{from: -1, to: -1}
	switch {
	case len(semis) == 1 && strings.TrimSpace(sql[semis[0]+1:]) == "":
		c.to = 0
	case len(semis) > 0:
		return nil
	}
	t := &template{stmts: stmts, cuts: []cut{c}, semis: len(semis)}
	if t.text(sql, semis, 0) != stmts[0].Text {
		return nil
	}
	return t
}

func indexOf(semis []int, off int) int {
	for i, s := range semis {
		if s == off {
			return i
		}
	}
	return -1
}

// text cuts statement i out of sql, whose semicolons are at semis.
func (t *template) text(sql string, semis []int, i int) string {
	c := t.cuts[i]
	start, end := 0, len(sql)
	if c.from >= 0 {
		start = semis[c.from] + 1
	}
	if c.to >= 0 {
		end = semis[c.to]
	}
	return strings.TrimSpace(sql[start:end])
}

// instantiate returns the template's facts with the texts of sql's
// statements (sql has the template's shape; its semicolons are at semis).
// Redacted texts are the template's: texts of one shape differ only in
// literal values and comments, which redaction takes out.
func (t *template) instantiate(sql string, semis []int) []Statement {
	out := make([]Statement, len(t.stmts))
	copy(out, t.stmts)
	for i := range out {
		out[i].Text = t.text(sql, semis, i)
	}
	return out
}
