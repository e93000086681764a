// Package store holds dbward's control-plane state (DESIGN §2): approvals,
// grants and indexes. SQLite, embedded and pure Go (modernc.org/sqlite), is
// the default; a PostgreSQL store for a fleet comes with the second user of
// this package.
//
// So far it only opens SQLite databases the way every dbward store uses
// them; the tables belong to the packages that own the data (the audit
// search index lives in internal/audit).
package store
