package analyze

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// copyStmt judges COPY. COPY FROM writes its table, COPY TO reads it;
// COPY (query) TO has the facts of the query (which may be a
// data-modifying statement with RETURNING). PROGRAM runs a shell command
// on the database server (FlagCopyProgram); a file name other than
// STDIN/STDOUT is a server-side file (FlagCopyFile).
//
// The parse tree holds STDIN and ” alike as an empty file name, so the
// facts depend on a literal and are never shared between texts.
func (f *facts) copyStmt(s *pg.CopyStmt) {
	f.addCommand("COPY")
	f.raise(KindCopy)
	f.literal = true
	if f.nesting == 0 {
		f.copyOut = copyOut(s)
	}
	if s.IsFrom {
		f.table(s.Relation, AccessWrite, false)
	} else {
		f.table(s.Relation, AccessRead, false)
	}
	switch {
	case s.IsProgram:
		f.flag(FlagCopyProgram)
	case s.Filename != "":
		f.flag(FlagCopyFile)
	}
	if s.Query != nil {
		f.visit(s.Query.ProtoReflect())
	}
	f.walk(s.ProtoReflect(), "relation", "query")
}

// CopyOut is how a COPY … TO STDOUT writes its rows, as its options say.
type CopyOut struct {
	Format    string // "text", "csv" or "binary"
	Delimiter byte   // between columns: tab (text), comma (csv)
	Null      string // what NULL is written as: \N (text), nothing (csv)
	Quote     byte   // csv: around a value that needs it
	Escape    byte   // csv: before a quote inside a quoted value
	Header    bool   // csv (and text since PostgreSQL 15): the first row names the columns
}

// copyOut returns a COPY's output format, or nil for a COPY that sends
// the client no rows (FROM, a file, a program) or options dbward does not
// know (a multi-byte delimiter is refused by PostgreSQL anyway).
func copyOut(s *pg.CopyStmt) *CopyOut {
	if s.IsFrom || s.IsProgram || s.Filename != "" {
		return nil
	}
	c := &CopyOut{Format: "text", Delimiter: '\t', Null: `\N`}
	delimiter, null, quote, escape := "", "", "", ""
	var nullSet bool
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d == nil {
			return nil
		}
		v := defElemValue(d.Arg)
		switch strings.ToLower(d.Defname) {
		case "format":
			c.Format = strings.ToLower(v)
		case "delimiter":
			delimiter = v
		case "null":
			null, nullSet = v, true
		case "quote":
			quote = v
		case "escape":
			escape = v
		case "header":
			c.Header = !falseWords[strings.ToLower(v)]
		case "encoding":
			// In these, a character's second byte may be a backslash or a
			// delimiter, which PostgreSQL writes unescaped: dbward would
			// split the row wrongly.
			if clientOnlyEncodings[strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(v))] {
				return nil
			}
		case "force_quote", "freeze":
			// Quoting follows the upstream's (a quoted value stays quoted).
		default:
			return nil
		}
	}
	switch c.Format {
	case "text":
	case "csv":
		c.Delimiter, c.Null, c.Quote = ',', "", '"'
	case "binary":
		return c
	default:
		return nil
	}
	if delimiter != "" {
		if len(delimiter) != 1 {
			return nil
		}
		c.Delimiter = delimiter[0]
	}
	if nullSet {
		c.Null = null
	}
	if quote != "" {
		if len(quote) != 1 {
			return nil
		}
		c.Quote = quote[0]
	}
	c.Escape = c.Quote
	if escape != "" {
		if len(escape) != 1 {
			return nil
		}
		c.Escape = escape[0]
	}
	return c
}

var falseWords = setOf(`false off 0`)

// clientOnlyEncodings are PostgreSQL's client-only encodings (no ASCII-safe
// multi-byte characters), spelled without _ or -.
var clientOnlyEncodings = setOf(`sjis shiftjis shiftjis2004 big5 gbk uhc gb18030 johab win932 win936 win949 win950 cp932 cp936 cp949 cp950 tcvn`)

// defElemValue is an option's value as text ("true" for a bare option).
func defElemValue(n *pg.Node) string {
	switch v := n.GetNode().(type) {
	case nil:
		return "true"
	case *pg.Node_String_:
		return v.String_.Sval
	case *pg.Node_Boolean:
		return strconv.FormatBool(v.Boolean.Boolval)
	case *pg.Node_Integer:
		return strconv.Itoa(int(v.Integer.Ival))
	}
	return ""
}
