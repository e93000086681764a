package analyze

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// objectNames are the SQL words for object types in command tags.
var objectNames = map[pg.ObjectType]string{
	pg.ObjectType_OBJECT_TABLE: "TABLE", pg.ObjectType_OBJECT_INDEX: "INDEX", pg.ObjectType_OBJECT_VIEW: "VIEW",
	pg.ObjectType_OBJECT_MATVIEW: "MATERIALIZED VIEW", pg.ObjectType_OBJECT_SCHEMA: "SCHEMA",
	pg.ObjectType_OBJECT_SEQUENCE: "SEQUENCE", pg.ObjectType_OBJECT_FUNCTION: "FUNCTION",
	pg.ObjectType_OBJECT_PROCEDURE: "PROCEDURE", pg.ObjectType_OBJECT_ROUTINE: "ROUTINE",
	pg.ObjectType_OBJECT_TYPE: "TYPE", pg.ObjectType_OBJECT_DOMAIN: "DOMAIN", pg.ObjectType_OBJECT_EXTENSION: "EXTENSION",
	pg.ObjectType_OBJECT_TRIGGER: "TRIGGER", pg.ObjectType_OBJECT_RULE: "RULE", pg.ObjectType_OBJECT_POLICY: "POLICY",
	pg.ObjectType_OBJECT_FOREIGN_TABLE: "FOREIGN TABLE", pg.ObjectType_OBJECT_DATABASE: "DATABASE",
	pg.ObjectType_OBJECT_ROLE: "ROLE", pg.ObjectType_OBJECT_TABCONSTRAINT: "CONSTRAINT",
	pg.ObjectType_OBJECT_COLUMN: "COLUMN", pg.ObjectType_OBJECT_PUBLICATION: "PUBLICATION",
	pg.ObjectType_OBJECT_SUBSCRIPTION: "SUBSCRIPTION", pg.ObjectType_OBJECT_TABLESPACE: "TABLESPACE",
	pg.ObjectType_OBJECT_AGGREGATE: "AGGREGATE", pg.ObjectType_OBJECT_OPERATOR: "OPERATOR",
	pg.ObjectType_OBJECT_COLLATION: "COLLATION", pg.ObjectType_OBJECT_CONVERSION: "CONVERSION",
	pg.ObjectType_OBJECT_EVENT_TRIGGER: "EVENT TRIGGER", pg.ObjectType_OBJECT_FDW: "FOREIGN DATA WRAPPER",
	pg.ObjectType_OBJECT_FOREIGN_SERVER: "SERVER", pg.ObjectType_OBJECT_LANGUAGE: "LANGUAGE",
	pg.ObjectType_OBJECT_STATISTIC_EXT: "STATISTICS", pg.ObjectType_OBJECT_CAST: "CAST",
	pg.ObjectType_OBJECT_ACCESS_METHOD: "ACCESS METHOD", pg.ObjectType_OBJECT_TRANSFORM: "TRANSFORM",
	pg.ObjectType_OBJECT_TSCONFIGURATION: "TEXT SEARCH CONFIGURATION", pg.ObjectType_OBJECT_TSDICTIONARY: "TEXT SEARCH DICTIONARY",
}

func objectName(t pg.ObjectType) string {
	if s, ok := objectNames[t]; ok {
		return s
	}
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

// tags are the command tags of statement node types whose tag does not
// depend on their fields.
var tags = map[string]string{
	"SelectStmt": "SELECT", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE", "MergeStmt": "MERGE",
	"CopyStmt": "COPY", "ExplainStmt": "EXPLAIN", "PrepareStmt": "PREPARE", "ExecuteStmt": "EXECUTE",
	"DeallocateStmt": "DEALLOCATE", "DoStmt": "DO", "CallStmt": "CALL", "TruncateStmt": "TRUNCATE TABLE",
	"CreateStmt": "CREATE TABLE", "CreateTableAsStmt": "CREATE TABLE AS", "IndexStmt": "CREATE INDEX",
	"ViewStmt": "CREATE VIEW", "CreateSchemaStmt": "CREATE SCHEMA", "CreateSeqStmt": "CREATE SEQUENCE",
	"AlterSeqStmt": "ALTER SEQUENCE", "CreateFunctionStmt": "CREATE FUNCTION", "AlterFunctionStmt": "ALTER FUNCTION",
	"CreateTrigStmt": "CREATE TRIGGER", "CreateEventTrigStmt": "CREATE EVENT TRIGGER", "RuleStmt": "CREATE RULE",
	"CreateExtensionStmt": "CREATE EXTENSION", "AlterExtensionStmt": "ALTER EXTENSION", "CreatedbStmt": "CREATE DATABASE",
	"DropdbStmt": "DROP DATABASE", "AlterDatabaseStmt": "ALTER DATABASE", "AlterDatabaseSetStmt": "ALTER DATABASE",
	"CreateDomainStmt": "CREATE DOMAIN", "CompositeTypeStmt": "CREATE TYPE", "CreateEnumStmt": "CREATE TYPE",
	"CreateRangeStmt": "CREATE TYPE", "AlterEnumStmt": "ALTER TYPE", "CommentStmt": "COMMENT", "ReindexStmt": "REINDEX",
	"ClusterStmt": "CLUSTER", "VacuumStmt": "VACUUM", "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
	"CreatePolicyStmt": "CREATE POLICY", "AlterPolicyStmt": "ALTER POLICY", "CreatePublicationStmt": "CREATE PUBLICATION",
	"CreateSubscriptionStmt": "CREATE SUBSCRIPTION", "CreateForeignTableStmt": "CREATE FOREIGN TABLE",
	"CreateStatsStmt": "CREATE STATISTICS", "AlterSystemStmt": "ALTER SYSTEM", "LoadStmt": "LOAD",
	"GrantStmt": "GRANT", "GrantRoleStmt": "GRANT ROLE", "CreateRoleStmt": "CREATE ROLE", "AlterRoleStmt": "ALTER ROLE",
	"AlterRoleSetStmt": "ALTER ROLE", "DropRoleStmt": "DROP ROLE", "AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES",
	"ReassignOwnedStmt": "REASSIGN OWNED", "DropOwnedStmt": "DROP OWNED", "SecLabelStmt": "SECURITY LABEL",
	"TransactionStmt": "TRANSACTION", "VariableShowStmt": "SHOW", "DiscardStmt": "DISCARD", "ListenStmt": "LISTEN",
	"UnlistenStmt": "UNLISTEN", "NotifyStmt": "NOTIFY", "LockStmt": "LOCK TABLE", "CheckPointStmt": "CHECKPOINT",
	"DeclareCursorStmt": "DECLARE CURSOR", "FetchStmt": "FETCH", "ClosePortalStmt": "CLOSE CURSOR",
	"ConstraintsSetStmt": "SET CONSTRAINTS", "CreateCastStmt": "CREATE CAST", "CreateOpClassStmt": "CREATE OPERATOR CLASS",
	"DefineStmt": "CREATE", "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
	"CreateFdwStmt": "CREATE FOREIGN DATA WRAPPER", "CreateForeignServerStmt": "CREATE SERVER",
	"CreateUserMappingStmt": "CREATE USER MAPPING", "AlterUserMappingStmt": "ALTER USER MAPPING",
	"DropUserMappingStmt": "DROP USER MAPPING", "ImportForeignSchemaStmt": "IMPORT FOREIGN SCHEMA",
	"AlterObjectSchemaStmt": "ALTER", "AlterOwnerStmt": "ALTER", "AlterTSConfigurationStmt": "ALTER TEXT SEARCH CONFIGURATION",
	"CreateConversionStmt": "CREATE CONVERSION", "CreatePLangStmt": "CREATE LANGUAGE", "CreateAmStmt": "CREATE ACCESS METHOD",
	"AlterCollationStmt": "ALTER COLLATION", "AlterTableSpaceOptionsStmt": "ALTER TABLESPACE",
	"AlterPublicationStmt": "ALTER PUBLICATION", "AlterSubscriptionStmt": "ALTER SUBSCRIPTION",
	"DropSubscriptionStmt": "DROP SUBSCRIPTION", "CreateTransformStmt": "CREATE TRANSFORM",
}

// kindOfType classifies statement node types that need no field inspection.
var kindOfType = map[string]Kind{
	"TransactionStmt": KindTransaction, "VariableShowStmt": KindSelect, "DiscardStmt": KindSet,
	"ListenStmt": KindUtility, "UnlistenStmt": KindUtility, "NotifyStmt": KindUtility, "LockStmt": KindUtility,
	"CheckPointStmt": KindUtility, "FetchStmt": KindUtility, "ClosePortalStmt": KindUtility,
	"DeallocateStmt": KindUtility, "VacuumStmt": KindUtility, "ConstraintsSetStmt": KindSet,
	"GrantStmt": KindPrivilege, "GrantRoleStmt": KindPrivilege, "CreateRoleStmt": KindPrivilege,
	"AlterRoleStmt": KindPrivilege, "AlterRoleSetStmt": KindPrivilege, "DropRoleStmt": KindPrivilege,
	"AlterDefaultPrivilegesStmt": KindPrivilege, "ReassignOwnedStmt": KindPrivilege, "DropOwnedStmt": KindPrivilege,
	"SecLabelStmt": KindPrivilege, "AlterOwnerStmt": KindPrivilege, "CreateUserMappingStmt": KindPrivilege,
	"AlterUserMappingStmt": KindPrivilege, "DropUserMappingStmt": KindPrivilege,
}

// Rank orders kinds by danger; a statement with several operations has the
// kind of its most dangerous one.
func Rank(k Kind) int {
	switch k {
	case KindSelect:
		return 0
	case KindTransaction:
		return 1
	case KindSet:
		return 2
	case KindUtility:
		return 3
	case KindInsert:
		return 4
	case KindCopy:
		return 5
	case KindUpdate:
		return 6
	case KindMerge:
		return 7
	case KindDelete:
		return 8
	case KindCall:
		return 9
	case KindDDL:
		return 10
	case KindPrivilege:
		return 11
	}
	return 12 // unknown, and anything unexpected
}

// fileFunctions read or write files on the database server.
var fileFunctions = map[string]bool{
	"pg_read_file": true, "pg_read_binary_file": true, "pg_ls_dir": true, "pg_stat_file": true,
	"pg_ls_logdir": true, "pg_ls_waldir": true, "pg_ls_tmpdir": true, "pg_ls_archive_statusdir": true,
	"pg_ls_logicalsnapdir": true, "pg_ls_logicalmapdir": true, "pg_ls_replslotdir": true,
	"pg_file_write": true, "pg_file_rename": true, "pg_file_unlink": true, "pg_file_sync": true,
	"pg_logdir_ls": true, "lo_import": true, "lo_export": true, "pg_current_logfile": true,
}

// safeFunctions are built-in functions that never write; calls to them
// need no catalog lookup.
var safeFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`count sum avg min max now lower upper length coalesce nullif greatest least
		abs round floor ceil ceiling trunc random nextval currval setval concat concat_ws substring substr replace
		trim btrim ltrim rtrim position strpos split_part to_char to_date to_timestamp to_number date_trunc
		date_part extract age current_date current_timestamp clock_timestamp statement_timestamp
		transaction_timestamp array_agg string_agg json_agg jsonb_agg json_build_object jsonb_build_object
		row_to_json to_json to_jsonb array_length unnest generate_series md5 format left right lpad rpad
		regexp_replace regexp_match regexp_matches pg_sleep version current_setting pg_backend_pid
		gen_random_uuid exists bool_and bool_or every stddev variance percentile_cont row_number rank
		dense_rank lag lead first_value last_value ntile cume_dist percent_rank mode jsonb_set
		jsonb_array_elements json_array_elements jsonb_each json_each pg_typeof has_table_privilege
		pg_get_userbyid pg_table_size pg_total_relation_size pg_relation_size pg_size_pretty
		pg_database_size current_database current_schema current_user session_user quote_ident
		quote_literal quote_nullable encode decode sha256 octet_length char_length reverse repeat
		initcap ascii chr to_hex width_bucket make_date make_interval justify_days isfinite
		array_to_string string_to_array array_position array_remove array_append array_cat
		cardinality txid_current pg_current_xact_id pg_try_advisory_lock pg_advisory_lock
		pg_advisory_unlock pg_advisory_xact_lock pg_notify pg_cancel_backend`) {
		safeFunctions[f] = true
		safeFunctions["pg_catalog."+f] = true
	}
}
