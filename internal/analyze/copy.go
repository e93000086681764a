package analyze

import pg "github.com/pganalyze/pg_query_go/v6"

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
