package analyze

import (
	"fmt"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Options configure an Analyzer.
type Options struct {
	// CacheSize bounds each of the two caches (by text, by fingerprint).
	// If zero, 10,000 entries each.
	CacheSize int
}

// Analyzer analyses SQL text. It is safe for concurrent use.
type Analyzer struct {
	byText        *boundedMap[string, []Statement]
	byFingerprint *boundedMap[uint64, Statement]
}

// New returns an Analyzer.
func New(opts Options) *Analyzer {
	n := opts.CacheSize
	if n <= 0 {
		n = 10_000
	}
	return &Analyzer{byText: newBoundedMap[string, []Statement](n), byFingerprint: newBoundedMap[uint64, Statement](n)}
}

// Analyze returns the facts of every statement in sql, in order. It never
// fails: text that cannot be parsed gives one KindUnknown statement with
// FlagUnparsed and the parser's message. An empty string (or only
// comments) gives no statements.
//
// The returned slice is shared with the cache: callers MUST NOT modify it
// or the statements in it.
func (a *Analyzer) Analyze(sql string) []Statement {
	if st, ok := a.byText.get(sql); ok {
		return st
	}
	// Texts that differ only in literals share facts unless those facts
	// depend on literals. Only single-statement texts are stored this way.
	fp, fpErr := pg.FingerprintToUInt64(sql)
	if fpErr == nil {
		if st, ok := a.byFingerprint.get(fp); ok {
			st.Text = strings.TrimSpace(sql)
			return []Statement{st}
		}
	}
	stmts := analyzeText(sql)
	a.byText.put(sql, stmts)
	if fpErr == nil && len(stmts) == 1 && !stmts[0].LiteralSensitive && stmts[0].ParseError == "" {
		a.byFingerprint.put(fp, stmts[0])
	}
	return stmts
}

// analyzeText parses and analyses without caches.
func analyzeText(sql string) []Statement {
	tree, err := pg.Parse(sql)
	if err != nil {
		return []Statement{unparsed(sql, err)}
	}
	out := make([]Statement, 0, len(tree.Stmts))
	for _, rs := range tree.Stmts {
		text := statementText(sql, rs)
		f := newFacts()
		f.stmt(rs.Stmt)
		fp, err := pg.Fingerprint(text)
		if err != nil {
			fp = ""
		}
		out = append(out, f.statement(text, fp))
	}
	return out
}

// statementText cuts one statement out of a query string (byte offsets).
func statementText(sql string, rs *pg.RawStmt) string {
	start := int(rs.StmtLocation)
	end := len(sql)
	if rs.StmtLen > 0 {
		end = start + int(rs.StmtLen)
	}
	if start < 0 || start > len(sql) || end > len(sql) || start > end {
		return strings.TrimSpace(sql)
	}
	return strings.TrimSpace(sql[start:end])
}

func unparsed(sql string, err error) Statement {
	msg := err.Error()
	if msg == "" {
		msg = fmt.Sprintf("%v", err)
	}
	return Statement{
		Text: strings.TrimSpace(sql), Kind: KindUnknown, Flags: []string{FlagUnparsed}, ParseError: msg,
		Destructive: true, Dynamic: true, Where: true,
	}
}

// boundedMap is a concurrent map that starts over when full: entries are
// cheap to recompute, and a workload rarely has more distinct shapes.
type boundedMap[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{m: make(map[K]V), max: max}
}

func (b *boundedMap[K, V]) get(k K) (V, bool) {
	b.mu.RLock()
	v, ok := b.m[k]
	b.mu.RUnlock()
	return v, ok
}

func (b *boundedMap[K, V]) put(k K, v V) {
	b.mu.Lock()
	if len(b.m) >= b.max {
		clear(b.m)
	}
	b.m[k] = v
	b.mu.Unlock()
}
