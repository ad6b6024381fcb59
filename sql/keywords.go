package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
)

// kwCat is a PostgreSQL keyword category (src/include/parser/kwlist.h).
// Words that are not listed are identifiers or unreserved keywords: both may
// name columns, tables and functions.
type kwCat uint8

const (
	kwNone     kwCat = iota // an identifier or an unreserved keyword
	kwColName               // may name a column or type, not a function
	kwTypeFunc              // may name a function or type, not a column
	kwReserved              // may not be used as a name without quotes
)

// pgKeywords lists the reserved, type/function-name and column-name
// keywords of PostgreSQL 16.
var pgKeywords = func() map[string]kwCat {
	m := map[string]kwCat{}
	add := func(c kwCat, words string) {
		for _, w := range strings.Fields(words) {
			m[w] = c
		}
	}
	add(kwReserved, `all analyse analyze and any array as asc asymmetric both case cast check collate column
		constraint create current_catalog current_date current_role current_time current_timestamp
		current_user default deferrable desc distinct do else end except false fetch for foreign from
		grant group having in initially intersect into lateral leading limit localtime localtimestamp
		not null offset on only or order placing primary references returning select session_user some
		symmetric system_user table then to trailing true union unique user using variadic when where
		window with`)
	add(kwTypeFunc, `authorization binary collation concurrently cross current_schema freeze full ilike
		inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose`)
	add(kwColName, `between bigint bit boolean char character coalesce dec decimal exists extract float
		greatest grouping inout int integer interval json json_array json_arrayagg json_exists
		json_object json_objectagg json_query json_scalar json_serialize json_table json_value least
		merge_action national nchar none normalize nullif numeric out overlay position precision real
		row setof smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat
		xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`)
	return m
}()

func pgCategory(w string) kwCat { return pgKeywords[w] }

// tidbKeywords holds every word the TiDB parser treats as a keyword. A name
// that is one of them is emitted double-quoted (ANSI_QUOTES) so that TiDB
// reads it as an identifier: quoting an identifier never changes its
// meaning, while a bare "key" or "range" is a TiDB syntax error.
var tidbKeywords = func() map[string]bool {
	m := make(map[string]bool, len(parser.Keywords))
	for _, k := range parser.Keywords {
		m[strings.ToLower(k.Word)] = true
	}
	return m
}()

// tidbGrammarFuncs are function names TiDB's grammar handles specially
// (aggregates, window functions and builtins with keyword syntax). They are
// emitted unquoted so TiDB builds its aggregate and window nodes; any other
// function name that is a TiDB keyword is quoted, which TiDB accepts as a
// generic function call (measured for every keyword of the parser).
var tidbGrammarFuncs = setOf(`avg bit_and bit_or bit_xor count group_concat max min sum std stddev
	stddev_pop stddev_samp var_pop var_samp variance json_arrayagg json_objectagg approx_count_distinct
	approx_percentile row_number rank dense_rank cume_dist percent_rank ntile lag lead first_value
	last_value nth_value trim substring substr position extract char convert cast date_add date_sub
	adddate subdate timestampadd timestampdiff get_format weight_string left right replace repeat
	insert if mod now current_timestamp current_date current_time localtime localtimestamp utc_date
	utc_time utc_timestamp current_user current_role session_user database schema user char_length
	character_length coalesce nullif greatest least interval`)

// tidbWindowFuncs are the names TiDB accepts before OVER.
var tidbWindowFuncs = setOf(`avg bit_and bit_or bit_xor count group_concat max min sum std stddev
	stddev_pop stddev_samp var_pop var_samp variance json_arrayagg json_objectagg row_number rank
	dense_rank cume_dist percent_rank ntile lag lead first_value last_value nth_value`)

// tidbDistinctAggs are the aggregates TiDB's grammar accepts with DISTINCT.
var tidbDistinctAggs = setOf(`avg count group_concat max min sum stddev_pop stddev_samp var_pop var_samp`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
