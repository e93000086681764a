package analyze

import "strings"

// PureFunction reports whether a function (lower-case, "schema.name" when
// qualified) is a built-in that computes only from its arguments: it reads
// no table, runs no query from a string, calls no user code. Lineage sees
// through these; any other function may return anything (a user function
// can SELECT from any table), so what it returns is of unknown source.
func PureFunction(name string) bool {
	name = strings.TrimPrefix(name, "pg_catalog.")
	return pureFunctions[name]
}

var pureFunctions = setOf(`
	count sum avg min max bool_and bool_or every bit_and bit_or stddev stddev_pop stddev_samp
	variance var_pop var_samp array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
	mode percentile_cont percentile_disc first_value last_value nth_value lag lead
	row_number rank dense_rank percent_rank cume_dist ntile
	generate_series generate_subscripts unnest random gen_random_uuid
	now clock_timestamp statement_timestamp transaction_timestamp timeofday
	date_trunc date_part date_bin extract to_char to_date to_timestamp to_number age isfinite
	make_date make_time make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval
	abs round trunc ceil ceiling floor mod power pow sqrt cbrt exp ln log log10 sign div gcd lcm width_bucket
	length char_length character_length octet_length bit_length lower upper initcap
	trim btrim ltrim rtrim lpad rpad substr substring left right replace translate overlay
	concat concat_ws format position strpos split_part reverse repeat starts_with normalize
	regexp_replace regexp_substr regexp_match regexp_matches regexp_split_to_array regexp_split_to_table
	string_to_array array_to_string quote_ident quote_literal quote_nullable to_hex ascii chr
	encode decode convert_from convert_to md5 sha224 sha256 sha384 sha512
	coalesce nullif greatest least
	row_to_json to_json to_jsonb array_to_json json_build_object jsonb_build_object json_build_array jsonb_build_array
	json_object jsonb_object jsonb_set jsonb_insert jsonb_strip_nulls json_strip_nulls jsonb_pretty
	json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text
	json_array_elements jsonb_array_elements json_array_elements_text jsonb_array_elements_text
	json_each jsonb_each json_each_text jsonb_each_text json_object_keys jsonb_object_keys
	jsonb_path_query jsonb_path_query_first jsonb_path_query_array json_typeof jsonb_typeof
	json_array_length jsonb_array_length to_tsvector
	array_length cardinality array_append array_prepend array_cat array_remove array_replace
	array_position array_positions array_upper array_lower array_dims array_fill`)
