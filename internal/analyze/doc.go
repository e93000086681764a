// Package analyze turns SQL text into statement facts with PostgreSQL's
// own parser (pg_query): for each statement of a query string, what it
// will do — its kind and command tags, the tables it reads, writes or
// redefines, the functions it calls, whether it is destructive, whether
// its DELETEs and UPDATEs are bounded by a real condition, whether it runs
// SQL only known at run time. The facts are the input of policy decisions
// (DESIGN §6: input.statement is a Statement's JSON form).
//
// # What is judged
//
// What will run, not the outer form: EXPLAIN ANALYZE X, PREPARE p AS X,
// data-modifying CTEs, COPY (query) and DO blocks are judged by the
// statements they run. A DO block's PL/pgSQL is parsed with PostgreSQL's
// PL/pgSQL parser and every statement and expression in it judged as SQL;
// EXECUTE of a constant string is judged as that string. What cannot be
// known from the text — EXECUTE of a computed string, a DO block in another
// language, an EXECUTE of a prepared statement (the session resolves it),
// text the parser refuses — is KindUnknown, destructive and dynamic: the
// most dangerous thing it could be. What only the database knows — does
// this function write? — is added by Resolve, through a Catalog.
//
// The files hold one concern each: statements.go dispatches on the
// statement type; walk.go walks queries (CTE scopes, sub-selects, tables,
// functions); where.go judges conditions; ddl.go, privilege.go, copy.go,
// functions.go and plpgsql.go judge their kind of statement; commands.go
// has PostgreSQL's command tags; facts.go accumulates and converts facts.
//
// # Caching
//
// Analyze is on the hot path of every statement, and a full parse costs
// tens of microseconds, so an Analyzer answers from caches where it can
// (analyzer.go), cheapest first:
//
//  1. by exact text: a hit returns the cached slice without allocating;
//  2. by shape (shape.go): the text with literal values and comments taken
//     out, computed by a small lexer in Go — so pgbench-style traffic, the
//     same statements with other constants, is analysed once;
//  3. by pg_query fingerprint, for one-statement texts the shape lexer
//     refuses or has not seen;
//  4. otherwise by parsing and analysing.
//
// Sharing facts between texts is sound only for facts that do not depend
// on what differs between them. Facts read from a literal (a DO body, an
// EXECUTE string, set_config's arguments, a COPY file name, EXPLAIN's
// ANALYZE option) are never shared. The fingerprint also leaves out digit
// runs in table names (orders_2024 and orders_2025 fingerprint alike),
// temporary table names, and everything nested deeper than 100 nodes;
// facts that depend on those are not shared by fingerprint and are marked
// LiteralSensitive, which tells the policy decision cache not to key on
// the fingerprint either. A shape is only learned after a probe — the text
// with every literal replaced — has the same fingerprint, which checks
// that the lexer found the literals where PostgreSQL's lexer does and that
// no literal is one the fingerprint reads.
//
// Caches are bounded (Options.CacheSize entries each, texts up to 8 KiB)
// and evict with CLOCK (cache.go), which keeps what is in use and lets
// one-off texts go first.
//
// # Limits
//
// The parser reads text as PostgreSQL does with standard_conforming_strings
// on and a UTF-8 client encoding. A session that turns the former off or
// chooses an encoding such as SJIS would make the server read later text
// differently; statements that do so get FlagSyntaxChange, and the session
// must not let startup parameters do it unseen. Effects hidden in the
// catalog — triggers, rules, views, user-defined operators and casts,
// defaults that call functions — are not visible in the text; nor is which
// function an unqualified name resolves to when search_path puts
// pg_catalog last.
package analyze
