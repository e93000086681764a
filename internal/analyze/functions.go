package analyze

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// call records a function call and what the name of a built-in tells:
// file access, settings changed through set_config, SQL run from a string.
// Built-ins are recognised unqualified or qualified with pg_catalog (which
// is searched first unless search_path says otherwise).
func (f *facts) call(fc *pg.FuncCall) {
	parts := make([]string, 0, 2)
	for _, p := range fc.Funcname {
		parts = append(parts, strings.ToLower(p.GetString_().GetSval()))
	}
	if len(parts) == 0 {
		return
	}
	f.function(strings.Join(parts, "."))
	if len(parts) > 2 || len(parts) == 2 && parts[0] != "pg_catalog" {
		return
	}
	switch base := parts[len(parts)-1]; {
	case fileFunctions[base]:
		f.flag(FlagFileAccess)
	case base == "set_config":
		f.setConfig(fc.Args)
	case base == "ts_rewrite" && len(fc.Args) == 2:
		f.sqlArgument(fc.Args[1])
	case sqlFunctions[base]:
		if len(fc.Args) > 0 {
			f.sqlArgument(fc.Args[0])
		} else {
			f.unknown(FlagDynamicSQL)
		}
	case tableFunctions[base]:
		f.tableArgument(fc.Args)
	case everythingFunctions[base]:
		f.unknown(FlagDynamicSQL) // reads whole schemas or databases
	}
}

// setConfig judges set_config(name, value, is_local) like SET name = value.
// A setting name that is not a constant could be any setting.
func (f *facts) setConfig(args []*pg.Node) {
	f.literal = true
	if len(args) < 2 {
		return // no such function; the server refuses it
	}
	name, ok := stringValue(args[0])
	if !ok {
		f.unknown("")
		return
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if sensitiveSettings[name] {
		value, known := stringValue(args[1])
		f.setting(name, value, known)
	}
}

// sqlArgument judges an argument that a built-in runs as SQL: a constant
// is analysed as the statements it holds, anything else is dynamic SQL.
func (f *facts) sqlArgument(arg *pg.Node) {
	f.literal = true
	sql, ok := stringValue(arg)
	if !ok {
		f.unknown(FlagDynamicSQL)
		return
	}
	f.nested(sql)
}

// tableArgument judges table_to_xml(tbl regclass, …): a constant names a
// table read; anything else could be any table.
func (f *facts) tableArgument(args []*pg.Node) {
	f.literal = true
	if len(args) == 0 {
		return
	}
	name, ok := stringValue(args[0])
	if !ok {
		f.unknown(FlagDynamicSQL)
		return
	}
	rv, ok := regclassName(name)
	if !ok {
		f.unknown(FlagDynamicSQL)
		return
	}
	f.table(rv, AccessRead, false)
}

// regclassName reads a table name as regclass input does
// (stringToQualifiedNameList): dot-separated parts, each either quoted
// ("" for a quote) or folded to lower case.
func regclassName(s string) (*pg.RangeVar, bool) {
	var parts []string
	for i := 0; ; {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var part strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return nil, false
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						part.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				part.WriteByte(s[i])
				i++
			}
		} else {
			j := i
			for i < len(s) && s[i] != '.' && s[i] != ' ' && s[i] != '"' {
				i++
			}
			part.WriteString(strings.ToLower(s[j:i]))
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if part.Len() == 0 {
			return nil, false
		}
		parts = append(parts, part.String())
		if i == len(s) {
			break
		}
		if s[i] != '.' {
			return nil, false
		}
		i++
	}
	switch len(parts) {
	case 1:
		return &pg.RangeVar{Relname: parts[0]}, true
	case 2:
		return &pg.RangeVar{Schemaname: parts[0], Relname: parts[1]}, true
	case 3:
		return &pg.RangeVar{Catalogname: parts[0], Schemaname: parts[1], Relname: parts[2]}, true
	}
	return nil, false
}

// fileFunctions read, list or write files on the database server.
var fileFunctions = setOf(`pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file
	pg_ls_logdir pg_ls_waldir pg_ls_tmpdir pg_ls_archive_statusdir pg_ls_logicalsnapdir
	pg_ls_logicalmapdir pg_ls_replslotdir pg_logdir_ls
	pg_file_write pg_file_read pg_file_rename pg_file_unlink pg_file_sync
	lo_import lo_export`)

// sqlFunctions run their first argument as a query (read-only, but they
// read whatever it names).
var sqlFunctions = setOf(`query_to_xml query_to_xmlschema query_to_xml_and_xmlschema ts_stat`)

// tableFunctions read the table their first argument names.
var tableFunctions = setOf(`table_to_xml table_to_xmlschema table_to_xml_and_xmlschema`)

// everythingFunctions read every table of a schema or database.
var everythingFunctions = setOf(`schema_to_xml schema_to_xmlschema schema_to_xml_and_xmlschema
	database_to_xml database_to_xmlschema database_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema`)

// safeFunctions are built-in functions (pg_catalog) that Resolve need not
// ask the catalog about: the catalog would say they do not write, as it
// says of everything in pg_catalog. This trusts that the names resolve to
// pg_catalog — true unless search_path puts pg_catalog after a schema that
// defines a function of the same name.
var safeFunctions = setOf(`
	count sum avg min max array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
	bool_and bool_or every stddev stddev_pop stddev_samp variance var_pop var_samp
	percentile_cont percentile_disc mode row_number rank dense_rank percent_rank cume_dist
	ntile lag lead first_value last_value nth_value
	now current_date current_time current_timestamp localtime localtimestamp clock_timestamp
	statement_timestamp transaction_timestamp timeofday date_trunc date_part date_bin extract
	age make_date make_time make_timestamp make_timestamptz make_interval justify_days
	justify_hours justify_interval isfinite to_char to_date to_timestamp to_number
	lower upper initcap length char_length character_length octet_length bit_length
	substring substr left right lpad rpad trim btrim ltrim rtrim replace translate
	position strpos split_part concat concat_ws format repeat reverse ascii chr
	regexp_replace regexp_match regexp_matches regexp_split_to_array regexp_split_to_table
	regexp_like regexp_count regexp_instr regexp_substr starts_with quote_ident quote_literal
	quote_nullable md5 sha224 sha256 sha384 sha512 encode decode to_hex
	abs round floor ceil ceiling trunc sign mod power sqrt cbrt exp ln log log10 pi
	greatest least coalesce nullif random random_normal setseed width_bucket div gcd lcm
	nextval currval lastval gen_random_uuid
	array_length array_lower array_upper array_dims array_position array_positions
	array_remove array_replace array_append array_prepend array_cat array_to_string
	string_to_array string_to_table cardinality unnest generate_series generate_subscripts
	to_json to_jsonb row_to_json array_to_json json_build_object jsonb_build_object
	json_build_array jsonb_build_array json_object jsonb_object json_array_length
	jsonb_array_length json_array_elements jsonb_array_elements json_array_elements_text
	jsonb_array_elements_text json_each jsonb_each json_each_text jsonb_each_text
	json_extract_path jsonb_extract_path json_extract_path_text jsonb_extract_path_text
	json_object_keys jsonb_object_keys json_typeof jsonb_typeof jsonb_set jsonb_insert
	jsonb_strip_nulls jsonb_pretty jsonb_path_query jsonb_path_exists jsonb_path_match
	current_setting current_database current_schema current_schemas current_user
	session_user current_role user version pg_backend_pid pg_typeof
	has_table_privilege has_column_privilege has_schema_privilege has_database_privilege
	has_function_privilege pg_has_role pg_get_userbyid pg_table_size pg_total_relation_size
	pg_relation_size pg_indexes_size pg_database_size pg_size_pretty
	pg_get_viewdef pg_get_indexdef pg_get_constraintdef pg_get_functiondef
	txid_current pg_current_xact_id pg_sleep
	pg_try_advisory_lock pg_advisory_lock pg_advisory_unlock pg_advisory_xact_lock
	pg_try_advisory_xact_lock`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
