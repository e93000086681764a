package analyze

import (
	"net/url"
	"strings"
)

// Intent returns the key/value pairs of the sqlcommenter comments in sql
// (https://google.github.io/sqlcommenter/spec/):
//
//	SELECT … /* ticket='OPS-42',reason='fix%20totals' */
//
// gives {"ticket": "OPS-42", "reason": "fix totals"}. Keys and values are
// URL-decoded (%XX; a '+' stays a '+'), and \' in a value is a quote. A
// comment counts only when all of it is such pairs; comment markers inside
// string literals, quoted identifiers and dollar-quoted strings are not
// comments. When several comments set a key, the last wins. It returns
// nil when there are none.
//
// The pairs are what the client declares, not facts: anyone who can send
// the statement can write them.
func Intent(sql string) map[string]string {
	if !strings.Contains(sql, "/*") {
		return nil
	}
	var out map[string]string
	forEachComment(sql, func(body string) {
		pairs, ok := commenterPairs(body)
		if !ok {
			return
		}
		if out == nil {
			out = make(map[string]string, len(pairs)/2)
		}
		for i := 0; i < len(pairs); i += 2 {
			out[pairs[i]] = pairs[i+1]
		}
	})
	return out
}

// forEachComment calls fn with the body of every outermost /* */ comment
// of sql, skipping literals, quoted identifiers and -- comments.
func forEachComment(sql string, fn func(body string)) {
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' && sql[i] != '\r' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			j, ok := blockCommentEnd(sql, i)
			if !ok {
				return // unterminated
			}
			fn(sql[i+2 : j-2])
			i = j
		case c == '\'':
			escapes := i > 0 && sql[i-1]|0x20 == 'e' && (i < 2 || !isIdentCont(sql[i-2]))
			i = skipQuoted(sql, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
		case c == '$' && (i == 0 || !isIdentCont(sql[i-1])):
			i = skipDollarQuoted(sql, i)
		default:
			i++
		}
	}
}

// skipQuoted returns the offset after the quoted text starting at sql[i];
// a doubled quote, or with escapes a backslash, does not end it.
func skipQuoted(sql string, i int, q byte, escapes bool) int {
	for j := i + 1; j < len(sql); j++ {
		switch {
		case escapes && sql[j] == '\\':
			j++
		case sql[j] == q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// skipDollarQuoted returns the offset after a $tag$…$tag$ string starting
// at sql[i], or i+1 when sql[i] does not start one ($1 is a parameter).
func skipDollarQuoted(sql string, i int) int {
	j := i + 1
	if j < len(sql) && isDigit(sql[j]) {
		return j
	}
	for j < len(sql) && isIdentCont(sql[j]) && sql[j] != '$' {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		return i + 1
	}
	tag := sql[i : j+1]
	end := strings.Index(sql[j+1:], tag)
	if end < 0 {
		return len(sql)
	}
	return j + 1 + end + len(tag)
}

// commenterPairs parses a comment body as key='value' pairs separated by
// commas, returning them flattened (k1, v1, k2, v2, …).
func commenterPairs(body string) ([]string, bool) {
	s := strings.TrimSpace(body)
	if s == "" {
		return nil, false
	}
	var pairs []string
	for {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		rawKey := strings.TrimSpace(s[:eq])
		if rawKey == "" || strings.ContainsAny(rawKey, " \t\r\n'\",") {
			return nil, false
		}
		key, err := url.PathUnescape(rawKey)
		if err != nil {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], " \t\r\n")
		if s == "" || s[0] != '\'' {
			return nil, false
		}
		var raw strings.Builder
		end := -1
		for j := 1; j < len(s); j++ {
			if s[j] == '\\' && j+1 < len(s) && s[j+1] == '\'' {
				raw.WriteByte('\'')
				j++
				continue
			}
			if s[j] == '\'' {
				end = j
				break
			}
			raw.WriteByte(s[j])
		}
		if end < 0 {
			return nil, false
		}
		val, err := url.PathUnescape(raw.String())
		if err != nil {
			return nil, false
		}
		pairs = append(pairs, key, val)
		s = strings.TrimLeft(s[end+1:], " \t\r\n")
		if s == "" {
			return pairs, true
		}
		if s[0] != ',' {
			return nil, false
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
	}
}

// blockCommentEnd returns the index just past the /* */ comment that starts
// at i, following nesting as PostgreSQL's lexer does (scan.l, xc state);
// ok is false when the comment is not terminated.
func blockCommentEnd(sql string, i int) (end int, ok bool) {
	depth, j := 1, i+2
	for depth > 0 {
		if j+1 >= len(sql) {
			return len(sql), false
		}
		switch {
		case sql[j] == '/' && sql[j+1] == '*':
			depth++
			j += 2
		case sql[j] == '*' && sql[j+1] == '/':
			depth--
			j += 2
		default:
			j++
		}
	}
	return j, true
}
