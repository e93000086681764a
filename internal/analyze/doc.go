// Package analyze turns SQL text into statement facts with PostgreSQL's own
// parser (pg_query): what each statement of a query string will do — kind,
// command tags, tables and how they are touched, functions called,
// destructive or not, bounded by a real WHERE or not, dynamic or not — as
// the input of policy decisions.
//
// It judges what will run, not the outer form: EXPLAIN ANALYZE, PREPARE,
// data-modifying CTEs and DO blocks (their PL/pgSQL is parsed and every
// embedded statement judged) are judged by their effect. What cannot be
// known from the text — an EXECUTE of a computed string, a DO block in
// another language — is KindUnknown, destructive and dynamic: the most
// dangerous thing it could be. Facts that depend on the catalog (does this
// function write?) are added by Resolve.
//
// # Caching
//
// Analyze is on the hot path of every statement. Results are cached by
// exact text; on a miss, the text's pg_query fingerprint (computed in C,
// literals and comments ignored) is looked up in a second cache of facts
// that do not depend on literal values, so a stream of statements that
// differ only in their constants (pgbench, ORMs with inlined values) is
// analysed once. Facts that do depend on literals (LiteralSensitive: a DO
// body, set_config('role', …)) are never shared by fingerprint.
package analyze
