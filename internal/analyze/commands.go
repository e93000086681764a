package analyze

import pg "github.com/pganalyze/pg_query_go/v6"

// Command tags follow PostgreSQL's CreateCommandTag
// (src/backend/tcop/utility.c) for raw parse trees, so a policy can match
// the tag a client sees in CommandComplete.

// objectWords are the SQL words for object types, as they appear in
// "ALTER <object>" and "DROP <object>" tags.
var objectWords = map[pg.ObjectType]string{
	pg.ObjectType_OBJECT_ACCESS_METHOD:   "ACCESS METHOD",
	pg.ObjectType_OBJECT_AGGREGATE:       "AGGREGATE",
	pg.ObjectType_OBJECT_CAST:            "CAST",
	pg.ObjectType_OBJECT_COLLATION:       "COLLATION",
	pg.ObjectType_OBJECT_CONVERSION:      "CONVERSION",
	pg.ObjectType_OBJECT_DATABASE:        "DATABASE",
	pg.ObjectType_OBJECT_DOMAIN:          "DOMAIN",
	pg.ObjectType_OBJECT_EVENT_TRIGGER:   "EVENT TRIGGER",
	pg.ObjectType_OBJECT_EXTENSION:       "EXTENSION",
	pg.ObjectType_OBJECT_FDW:             "FOREIGN DATA WRAPPER",
	pg.ObjectType_OBJECT_FOREIGN_SERVER:  "SERVER",
	pg.ObjectType_OBJECT_FOREIGN_TABLE:   "FOREIGN TABLE",
	pg.ObjectType_OBJECT_FUNCTION:        "FUNCTION",
	pg.ObjectType_OBJECT_INDEX:           "INDEX",
	pg.ObjectType_OBJECT_LANGUAGE:        "LANGUAGE",
	pg.ObjectType_OBJECT_LARGEOBJECT:     "LARGE OBJECT",
	pg.ObjectType_OBJECT_MATVIEW:         "MATERIALIZED VIEW",
	pg.ObjectType_OBJECT_OPCLASS:         "OPERATOR CLASS",
	pg.ObjectType_OBJECT_OPERATOR:        "OPERATOR",
	pg.ObjectType_OBJECT_OPFAMILY:        "OPERATOR FAMILY",
	pg.ObjectType_OBJECT_POLICY:          "POLICY",
	pg.ObjectType_OBJECT_PROCEDURE:       "PROCEDURE",
	pg.ObjectType_OBJECT_PUBLICATION:     "PUBLICATION",
	pg.ObjectType_OBJECT_ROLE:            "ROLE",
	pg.ObjectType_OBJECT_ROUTINE:         "ROUTINE",
	pg.ObjectType_OBJECT_RULE:            "RULE",
	pg.ObjectType_OBJECT_SCHEMA:          "SCHEMA",
	pg.ObjectType_OBJECT_SEQUENCE:        "SEQUENCE",
	pg.ObjectType_OBJECT_STATISTIC_EXT:   "STATISTICS",
	pg.ObjectType_OBJECT_SUBSCRIPTION:    "SUBSCRIPTION",
	pg.ObjectType_OBJECT_TABLE:           "TABLE",
	pg.ObjectType_OBJECT_TABLESPACE:      "TABLESPACE",
	pg.ObjectType_OBJECT_TRANSFORM:       "TRANSFORM",
	pg.ObjectType_OBJECT_TRIGGER:         "TRIGGER",
	pg.ObjectType_OBJECT_TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
	pg.ObjectType_OBJECT_TSDICTIONARY:    "TEXT SEARCH DICTIONARY",
	pg.ObjectType_OBJECT_TSPARSER:        "TEXT SEARCH PARSER",
	pg.ObjectType_OBJECT_TSTEMPLATE:      "TEXT SEARCH TEMPLATE",
	pg.ObjectType_OBJECT_TYPE:            "TYPE",
	pg.ObjectType_OBJECT_VIEW:            "VIEW",
}

// alterTag is AlterObjectTypeCommandTag: the tag of ALTER statements
// named by an object type. Parts of a table or type alter their owner.
func alterTag(t pg.ObjectType) string {
	switch t {
	case pg.ObjectType_OBJECT_COLUMN, pg.ObjectType_OBJECT_TABCONSTRAINT:
		return "ALTER TABLE"
	case pg.ObjectType_OBJECT_ATTRIBUTE:
		return "ALTER TYPE"
	case pg.ObjectType_OBJECT_DOMCONSTRAINT:
		return "ALTER DOMAIN"
	}
	if w, ok := objectWords[t]; ok {
		return "ALTER " + w
	}
	return "ALTER"
}

// dropTag is the tag of DROP <object>.
func dropTag(t pg.ObjectType) string {
	if w, ok := objectWords[t]; ok {
		return "DROP " + w
	}
	return "DROP"
}

// relationObject reports whether objects of type t are relations (things
// that appear in Statement.Tables).
func relationObject(t pg.ObjectType) bool {
	switch t {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
		pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_FOREIGN_TABLE, pg.ObjectType_OBJECT_INDEX:
		return true
	}
	return false
}

// fixedTags are the tags of statements whose tag and kind do not depend
// on their fields. Statements judged by their fields are in stmt.
var fixedTags = map[string]struct {
	tag  string
	kind Kind
}{
	// Reads and session state.
	"VariableShowStmt":   {"SHOW", KindSelect},
	"ConstraintsSetStmt": {"SET CONSTRAINTS", KindSet},

	// Utility.
	"ListenStmt":     {"LISTEN", KindUtility},
	"UnlistenStmt":   {"UNLISTEN", KindUtility},
	"NotifyStmt":     {"NOTIFY", KindUtility},
	"CheckPointStmt": {"CHECKPOINT", KindUtility},

	// Definitions.
	"CreateSchemaStmt":             {"CREATE SCHEMA", KindDDL},
	"CreateTableSpaceStmt":         {"CREATE TABLESPACE", KindDDL},
	"AlterTableSpaceOptionsStmt":   {"ALTER TABLESPACE", KindDDL},
	"CreateExtensionStmt":          {"CREATE EXTENSION", KindDDL},
	"AlterExtensionStmt":           {"ALTER EXTENSION", KindDDL},
	"AlterExtensionContentsStmt":   {"ALTER EXTENSION", KindDDL},
	"CreateFdwStmt":                {"CREATE FOREIGN DATA WRAPPER", KindDDL},
	"AlterFdwStmt":                 {"ALTER FOREIGN DATA WRAPPER", KindDDL},
	"CreateForeignServerStmt":      {"CREATE SERVER", KindDDL},
	"AlterForeignServerStmt":       {"ALTER SERVER", KindDDL},
	"ImportForeignSchemaStmt":      {"IMPORT FOREIGN SCHEMA", KindDDL},
	"AlterDomainStmt":              {"ALTER DOMAIN", KindDDL},
	"CompositeTypeStmt":            {"CREATE TYPE", KindDDL},
	"CreateEnumStmt":               {"CREATE TYPE", KindDDL},
	"CreateRangeStmt":              {"CREATE TYPE", KindDDL},
	"AlterEnumStmt":                {"ALTER TYPE", KindDDL},
	"AlterTypeStmt":                {"ALTER TYPE", KindDDL},
	"CreateDomainStmt":             {"CREATE DOMAIN", KindDDL},
	"CreatedbStmt":                 {"CREATE DATABASE", KindDDL},
	"AlterDatabaseStmt":            {"ALTER DATABASE", KindDDL},
	"AlterDatabaseRefreshCollStmt": {"ALTER DATABASE", KindDDL},
	"AlterDatabaseSetStmt":         {"ALTER DATABASE", KindDDL},
	"CreateEventTrigStmt":          {"CREATE EVENT TRIGGER", KindDDL},
	"AlterEventTrigStmt":           {"ALTER EVENT TRIGGER", KindDDL},
	"CreatePLangStmt":              {"CREATE LANGUAGE", KindDDL},
	"CreateConversionStmt":         {"CREATE CONVERSION", KindDDL},
	"CreateCastStmt":               {"CREATE CAST", KindDDL},
	"CreateTransformStmt":          {"CREATE TRANSFORM", KindDDL},
	"CreateOpClassStmt":            {"CREATE OPERATOR CLASS", KindDDL},
	"CreateOpFamilyStmt":           {"CREATE OPERATOR FAMILY", KindDDL},
	"AlterOpFamilyStmt":            {"ALTER OPERATOR FAMILY", KindDDL},
	"AlterOperatorStmt":            {"ALTER OPERATOR", KindDDL},
	"AlterTSDictionaryStmt":        {"ALTER TEXT SEARCH DICTIONARY", KindDDL},
	"AlterTSConfigurationStmt":     {"ALTER TEXT SEARCH CONFIGURATION", KindDDL},
	"CreateAmStmt":                 {"CREATE ACCESS METHOD", KindDDL},
	"CreatePublicationStmt":        {"CREATE PUBLICATION", KindDDL},
	"AlterPublicationStmt":         {"ALTER PUBLICATION", KindDDL},
	"CreateSubscriptionStmt":       {"CREATE SUBSCRIPTION", KindDDL},
	"AlterSubscriptionStmt":        {"ALTER SUBSCRIPTION", KindDDL},
	"CreateStatsStmt":              {"CREATE STATISTICS", KindDDL},
	"AlterStatsStmt":               {"ALTER STATISTICS", KindDDL},
	"AlterCollationStmt":           {"ALTER COLLATION", KindDDL},
	"CommentStmt":                  {"COMMENT", KindDDL},

	// Privileges.
	"AlterDefaultPrivilegesStmt": {"ALTER DEFAULT PRIVILEGES", KindPrivilege},
	"CreateRoleStmt":             {"CREATE ROLE", KindPrivilege},
	"AlterRoleStmt":              {"ALTER ROLE", KindPrivilege},
	"AlterRoleSetStmt":           {"ALTER ROLE", KindPrivilege},
	"ReassignOwnedStmt":          {"REASSIGN OWNED", KindPrivilege},
	"SecLabelStmt":               {"SECURITY LABEL", KindPrivilege},
	"CreateUserMappingStmt":      {"CREATE USER MAPPING", KindPrivilege},
	"AlterUserMappingStmt":       {"ALTER USER MAPPING", KindPrivilege},
}

// droppingTags are statements that drop something: destructive, with
// their tag and kind.
var droppingTags = map[string]struct {
	tag  string
	kind Kind
}{
	"DropdbStmt":           {"DROP DATABASE", KindDDL},
	"DropTableSpaceStmt":   {"DROP TABLESPACE", KindDDL},
	"DropSubscriptionStmt": {"DROP SUBSCRIPTION", KindDDL},
	"DropRoleStmt":         {"DROP ROLE", KindPrivilege},
	"DropOwnedStmt":        {"DROP OWNED", KindPrivilege},
	"DropUserMappingStmt":  {"DROP USER MAPPING", KindPrivilege},
}
