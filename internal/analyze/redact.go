package analyze

import (
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Redact returns sql with the value of every literal replaced by a
// parameter placeholder ($1, $2, … numbered after the highest parameter the
// text already uses, as pg_stat_statements does) and the contents of
// comments removed: what an audit record keeps of a statement by default,
// proof of what ran without being a copy of the data.
//
// The shape lexer does this in one pass; for texts it refuses, PostgreSQL's
// own normaliser (through pg_query) does. A text neither can read is not
// kept at all: the result then only says how long it was.
func Redact(sql string) string {
	s := redactShapers.Get().(*shaper)
	defer redactShapers.Put(s)
	if s.shape(sql) {
		return renderShape(s.key)
	}
	if out, err := pg.Normalize(sql); err == nil {
		return out
	}
	return "(text withheld: it could not be parsed; " + strconv.Itoa(len(sql)) + " bytes)"
}

var redactShapers = sync.Pool{New: func() any { return new(shaper) }}

// renderShape turns a shape key into SQL: each literal marker (NUL and its
// class) becomes the next free $n.
func renderShape(key []byte) string {
	next := maxParam(key) + 1
	var b strings.Builder
	b.Grow(len(key) + 8)
	for i := 0; i < len(key); i++ {
		if key[i] == 0 && i+1 < len(key) {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(next))
			next++
			i++ // the class byte
			continue
		}
		b.WriteByte(key[i])
	}
	return b.String()
}

// maxParam is the highest $n in a shape key ($ outside literals and quoted
// identifiers is always a parameter there: the lexer refuses dollar quotes).
func maxParam(key []byte) int {
	highest := 0
	inIdent := false
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '"':
			inIdent = !inIdent
		case c == '$' && !inIdent:
			j := i + 1
			for j < len(key) && key[j] >= '0' && key[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(string(key[i+1 : j])); err == nil && n > highest {
				highest = n
			}
			i = j - 1
		}
	}
	return highest
}
