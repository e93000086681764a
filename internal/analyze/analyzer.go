package analyze

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// maxCachedText is the longest text kept in the text and shape caches;
// longer texts (bulk INSERTs, scripts) are analysed each time, so that
// the caches' memory stays bounded by CacheSize × maxCachedText.
const maxCachedText = 8 << 10

// Options configure an Analyzer.
type Options struct {
	// CacheSize bounds each of the Analyzer's three caches (by text, by
	// shape, by fingerprint), in entries. If zero or less, 10,000.
	CacheSize int
}

// Analyzer turns SQL text into statement facts. It is safe for concurrent
// use; its zero value is not usable, make one with New.
type Analyzer struct {
	byText        *cache[[]Statement]
	byShape       *cache[*template]
	byFingerprint *cache[*template]
	shapers       sync.Pool
}

// New returns an Analyzer with empty caches.
func New(opts Options) *Analyzer {
	n := opts.CacheSize
	if n <= 0 {
		n = 10_000
	}
	return &Analyzer{
		byText:        newCache[[]Statement](n),
		byShape:       newCache[*template](n),
		byFingerprint: newCache[*template](n),
		shapers:       sync.Pool{New: func() any { return new(shaper) }},
	}
}

// Analyze returns the facts of every statement of sql, in order, each
// with its own Text and Fingerprint. It never fails: a text PostgreSQL's
// parser refuses gives one statement of KindUnknown with FlagUnparsed and
// the parser's message in ParseError; a text of only whitespace and
// comments gives an empty slice.
//
// The result is shared with the Analyzer's caches: callers MUST NOT modify
// the slice, the statements in it, or their lists (Resolve makes copies).
//
// Lookups, cheapest first:
//  1. the exact text (a hit returns the cached slice: no allocation);
//  2. the text's shape — the text with literal values and comments taken
//     out (see shape.go) — for facts that do not depend on literal values;
//  3. the pg_query fingerprint of a one-statement text, for facts that do
//     not depend on anything the fingerprint leaves out;
//  4. a full parse and analysis.
//
// Facts with Statement.LiteralSensitive set are never taken from 3, and
// facts read from a literal (a DO body, an EXECUTE string, set_config, a
// COPY file name) never from 2 or 3.
func (a *Analyzer) Analyze(sql string) []Statement {
	cacheable := len(sql) <= maxCachedText
	if cacheable {
		if st, ok := a.byText.get(sql); ok {
			return st
		}
	}
	if strings.IndexByte(sql, 0) >= 0 {
		// The parser reads a C string: it would judge only the text before
		// the NUL. (The protocol cannot carry one in a query either.)
		return []Statement{unparsed(sql, errNUL)}
	}
	sh := a.shapers.Get().(*shaper)
	defer a.shapers.Put(sh)
	shaped := cacheable && sh.shape(sql)
	if shaped {
		if t, ok := a.byShape.getBytes(sh.key); ok {
			if t.stmts != nil && t.semis == len(sh.semis) {
				return t.instantiate(sql, sh.semis)
			}
			shaped = false // known not to be shareable by shape
		}
	}
	fp, fpErr := pg.FingerprintToUInt64(sql)
	var fpKey [8]byte
	binary.LittleEndian.PutUint64(fpKey[:], fp)
	if fpErr == nil {
		if t, ok := a.byFingerprint.getBytes(fpKey[:]); ok {
			st := []Statement{t.stmts[0]}
			st[0].Text = trimStatement(sql)
			st[0].Redacted = Redact(st[0].Text) // texts of one fingerprint differ in more than literals
			if cacheable {
				a.byText.put(sql, st)
			}
			if shaped {
				a.learnShape(sql, sh, fp, singleStatementTemplate(sql, st, sh.semis))
			}
			return st
		}
	}
	r := analyzeText(sql, fp, fpErr)
	if cacheable {
		a.byText.put(sql, r.stmts)
	}
	if shaped {
		var t *template
		if r.shapeSafe && fpErr == nil {
			t = newShapeTemplate(sql, r, sh.semis)
		}
		a.learnShape(sql, sh, fp, t)
	}
	if r.fingerprintSafe && fpErr == nil && len(r.stmts) == 1 {
		a.byFingerprint.put(string(fpKey[:]), &template{stmts: r.stmts})
	}
	return r.stmts
}

// learnShape stores t as the template of sql's shape, if the shape's
// probe (sql with other literal values) has sql's fingerprint fp: then no
// literal sits where the fingerprint (and so Statement.Fingerprint) reads
// it, and the lexer found the literals where PostgreSQL's lexer does.
// Otherwise, or when t is nil, it stores an empty template, so that later
// texts of the shape go on to the next lookup without probing again.
func (a *Analyzer) learnShape(sql string, sh *shaper, fp uint64, t *template) {
	if t != nil {
		if p, err := pg.FingerprintToUInt64(sh.probe(sql)); err != nil || p != fp {
			t = nil
		}
	}
	if t == nil {
		t = &template{}
	}
	a.byShape.put(string(sh.key), t)
}

var errNUL = errors.New("query text contains a NUL byte")

// panicPrefix starts the ParseError of a statement whose analysis failed.
const panicPrefix = "dbward could not analyse the statement: "

// analysis is the result of analysing a text without caches.
type analysis struct {
	stmts []Statement
	spans [][2]int // each statement's byte range in the text
	// shapeSafe: no fact depends on a literal value. fingerprintSafe: nor on
	// anything the pg_query fingerprint leaves out.
	shapeSafe, fingerprintSafe bool
}

// analyzeText parses sql and judges each statement. fp and fpErr are
// sql's fingerprint, already computed: a one-statement text's fingerprint
// is its statement's.
func analyzeText(sql string, fp uint64, fpErr error) (r analysis) {
	defer func() {
		// A bug here must not take the proxy down with it (DESIGN §7.6):
		// the statement is judged unknown, and fuzzing looks for this.
		if p := recover(); p != nil {
			r = analysis{stmts: []Statement{unparsed(sql, fmt.Errorf("%s%v", panicPrefix, p))}}
		}
	}()
	tree, err := pg.Parse(sql)
	if err != nil {
		return analysis{stmts: []Statement{unparsed(sql, err)}}
	}
	r = analysis{
		stmts: make([]Statement, 0, len(tree.Stmts)), spans: make([][2]int, 0, len(tree.Stmts)),
		shapeSafe: true, fingerprintSafe: true,
	}
	for _, rs := range tree.Stmts {
		start, end := int(rs.StmtLocation), len(sql)
		if rs.StmtLen > 0 {
			end = start + int(rs.StmtLen)
		}
		if start < 0 || start > end || end > len(sql) {
			start, end = 0, len(sql)
		}
		text := strings.TrimSpace(sql[start:end])
		f := newFacts()
		f.stmt(rs.Stmt)
		sfp := fp
		if len(tree.Stmts) > 1 || fpErr != nil {
			if sfp, err = pg.FingerprintToUInt64(text); err != nil {
				sfp = 0
			}
		}
		s := f.statement(text, fingerprintHex(sfp))
		var fpSafe bool
		s.Lineage, fpSafe = lineageOf(rs.Stmt)
		s.Cursor, s.Fetch, s.CloseCursor = cursorOf(rs.Stmt)
		s.LiteralSensitive = s.LiteralSensitive || !fpSafe || s.Cursor != "" || s.Fetch != "" || s.CloseCursor != ""
		r.stmts = append(r.stmts, s)
		r.spans = append(r.spans, [2]int{start, end})
		r.shapeSafe = r.shapeSafe && !f.literal
		r.fingerprintSafe = r.fingerprintSafe && !s.LiteralSensitive
	}
	return r
}

// unparsed is the statement for a text the parser refuses: its effect is
// unknown.
func unparsed(sql string, err error) Statement {
	text := strings.TrimSpace(sql)
	return Statement{
		Text: text, Redacted: Redact(text), Kind: KindUnknown, Flags: []string{FlagUnparsed},
		ParseError: err.Error(), Destructive: true, Dynamic: true,
	}
}

// fingerprintHex formats a fingerprint as 16 lower-case hex digits, as
// pg_query.Fingerprint does; 0 (none) is "".
func fingerprintHex(fp uint64) string {
	if fp == 0 {
		return ""
	}
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[fp&0xf]
		fp >>= 4
	}
	return string(b[:])
}

// trimStatement is the Text of a one-statement text served by
// fingerprint: without surrounding space and trailing semicolons. (A
// comment after the last semicolon stays; the parser's own cut drops it.)
func trimStatement(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	return s
}
