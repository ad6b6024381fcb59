package sql

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/sql/sqlstate"
)

// parseOne parses q and requires exactly one statement.
func parseOne(t *testing.T, q string) Stmt {
	t.Helper()
	stmts, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	if len(stmts) != 1 {
		t.Fatalf("Parse(%q): %d statements, want 1", q, len(stmts))
	}
	return stmts[0]
}

func parsedOf(t *testing.T, st Stmt) *Parsed {
	t.Helper()
	switch x := st.(type) {
	case *Query:
		return &x.Parsed
	case *Insert:
		return &x.Parsed
	}
	t.Fatalf("%T is not a query or INSERT", st)
	return nil
}

func restore(t *testing.T, n ast.Node) string {
	t.Helper()
	var sb strings.Builder
	if err := n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return sb.String()
}

// TestRewrite pins the text handed to TiDB for each PostgreSQL form. Parse
// succeeding means TiDB accepted the text.
func TestRewrite(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// Casts.
		{"cast operator", "SELECT a::int, 'x'::text::varchar(10), b::double precision FROM t",
			"select __cast(a, 'int'), __cast(__cast('x', 'text'), 'varchar(10)'), __cast(b, 'double precision') from t"},
		{"cast type names", `SELECT CAST(a AS character varying(10)), x::pg_catalog.regclass, y::"char", z::text[], w::int ARRAY, v::time with time zone, u::"MyType", c::timestamp(3) without time zone, n::NUMERIC(10, 2)`,
			`select __cast(a, 'character varying(10)'), __cast(x, 'pg_catalog.regclass'), __cast(y, '"char"'), __cast(z, 'text[]'), __cast(w, 'int[]'), __cast(v, 'time with time zone'), __cast(u, '"MyType"'), __cast(c, 'timestamp(3) without time zone'), __cast(n, 'numeric(10,2)')`},
		{"cast operands", "SELECT a::int::text, (a + 1)::text, f(x)::int, ARRAY[1]::int[], $1::int, -a::int",
			"select __cast(__cast(a, 'int'), 'text'), __cast((a + 1), 'text'), __cast(f(x), 'int'), __cast(__array(1), 'int[]'), __cast($1, 'int'), -__cast(a, 'int')"},
		{"typed literals", "SELECT interval '1 hour', INTERVAL '1' HOUR, interval '90' minute, timestamptz '2020-01-01', timestamp with time zone '2020-01-01', int '1', double precision '1.5', bool 't', pg_catalog.int4 '7', TIME '12:00'",
			"select __cast('1 hour', 'interval'), __cast('1 hour', 'interval'), __cast('90 minute', 'interval'), __cast('2020-01-01', 'timestamptz'), __cast('2020-01-01', 'timestamp with time zone'), __cast('1', 'int'), __cast('1.5', 'double precision'), __cast('t', 'bool'), __cast('7', 'pg_catalog.int4'), __cast('12:00', 'time')"},
		{"date and timestamp literals are casts", "SELECT DATE '2020-01-01', TIMESTAMP '2020-01-01 00:00:00'",
			"select __cast('2020-01-01', 'date'), __cast('2020-01-01 00:00:00', 'timestamp')"},
		{"bit strings", "SELECT B'01', X'ff'", "select __cast('b01', 'bit'), __cast('xff', 'bit')"},
		// Arrays, ANY/ALL.
		{"arrays", "SELECT ARRAY[1,2,3], ARRAY[[1,2],[3,4]], ARRAY(SELECT x FROM t), ARRAY[]::int[]",
			"select __array(1, 2, 3), __array(__array(1, 2), __array(3, 4)), __array_subquery((select x from t)), __cast(__array(), 'int[]')"},
		{"any all over arrays", "SELECT a FROM t WHERE a = ANY('{1,2}'::int[]) AND b <> ALL (ARRAY[1,2]) AND c = SOME (b) AND d != ANY (e)",
			"select a from t where __any('=', a, __cast('{1,2}', 'int[]')) and __all('<>', b, __array(1, 2)) and __any('=', c, b) and __any('<>', d, e)"},
		{"any all over subqueries", "SELECT a FROM t WHERE c = ANY (SELECT x FROM u) AND d ~ ANY (SELECT x FROM u) AND e > ALL (SELECT 1)",
			"select a from t where c = any (select x from u) and __any('~', d, __array_subquery((select x from u))) and e > all (select 1)"},
		{"like any", "SELECT a FROM t WHERE a LIKE ANY (ARRAY['x%', 'y%']) AND b NOT ILIKE ALL (c)",
			"select a from t where __any('like', a, __array('x%', 'y%')) and __all('not ilike', b, c)"},
		// Operators.
		{"regex operators", "SELECT a ~ 'x', a ~* 'x', a !~ 'x', a !~* 'x', a ~~ 'x', c.relname OPERATOR(pg_catalog.~) '^(x)$', a OPERATOR(pg_catalog.=) b, a OPERATOR(~) b",
			"select __op('~', a, 'x'), __op('~*', a, 'x'), __op('!~', a, 'x'), __op('!~*', a, 'x'), __op('~~', a, 'x'), __op('~', c.relname, '^(x)$'), a = b, __op('~', a, b)"},
		{"operator extents", "SELECT a ~ 'x' AND b, NOT a ~ b, a || b ~ c, a ~ b || c, a + 1 ~ b, a = b ~ c",
			"select __op('~', a, 'x') and b, not __op('~', a, b), __op('~', __op('||', a, b), c), __op('||', __op('~', a, b), c), __op('~', a + 1, b), a = __op('~', b, c)"},
		{"distinct from and isnull", "SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b + 1, x ISNULL, y NOTNULL",
			"select __op('is distinct from', a, b), __op('is not distinct from', a, b + 1), x is null, y is not null"},
		{"power xor and prefix operators", "SELECT 2 ^ 3, 2 ^ 3 ^ 2, -2 ^ 2, 2 * 3 ^ 2, 5 # 3, |/ 25, ||/ 27, @ -5, ~ 5, 1 + @ -2",
			"select __op('^', 2, 3), __op('^', __op('^', 2, 3), 2), __op('^', -2, 2), 2 * __op('^', 3, 2), __op('#', 5, 3), __op('|/', 25), __op('||/', 27), __op('@', -5), ~ 5, 1 + __op('@', -2)"},
		{"precedence kept with parentheses", "SELECT a || b * c, a + b || c, a | b & c, a & b | c, a << 1 + 2, a = b LIKE c, a = b IS NULL",
			"select __op('||', a, b * c), __op('||', a + b, c), (a | b) & c, a & b | c, a << 1 + 2, a = (b like c), (a = b) is null"},
		{"other operators", "SELECT now() - interval '1 hour', x AT TIME ZONE 'UTC', (x AT TIME ZONE 'UTC')::date, a->>'b', a @> b, a && b, a <=> b",
			"select now() - __cast('1 hour', 'interval'), __op('at time zone', x, 'UTC'), __cast((__op('at time zone', x, 'UTC')), 'date'), __op('->>', a, 'b'), __op('@>', a, b), __op('&&', a, b), __op('<=>', a, b)"},
		{"logic", "SELECT -1, - -1, +2, NOT NOT true, NOT a = b, a AND NOT b OR c",
			"select -1, - -1, +2, not not true, not a = b, a and not b or c"},
		{"predicates", "SELECT a FROM t WHERE a LIKE 'x!%' ESCAPE '!' AND b NOT ILIKE 'y' AND c BETWEEN 1 AND 2 + 3 AND d NOT BETWEEN 0 AND 1 AND e IN (1, 2) AND f NOT IN (SELECT 1)",
			"select a from t where a like 'x!%' escape '!' and b not ilike 'y' and c between 1 and 2 + 3 and d not between 0 and 1 and e in (1, 2) and f not in (select 1)"},
		{"similar to and between symmetric", "SELECT a SIMILAR TO 'x%' AND b NOT SIMILAR TO 'y' ESCAPE '#', c BETWEEN SYMMETRIC 1 AND 2, d NOT BETWEEN SYMMETRIC 1 + 1 AND 3",
			"select __op('~', a, similar_to_escape('x%')) and __op('!~', b, similar_to_escape('y', '#')), (c between 1 and 2 or c between 2 and 1), (d not between 1 + 1 and 3 and d not between 3 and 1 + 1)"},
		{"subscripts and fields", "SELECT x[1], x[1:2], x[:2], x[2:], (x).f, (f(x)).g, (current_schemas(false))[s.r], x[1][2]",
			"select __subscript(x, 1), __slice(x, 1, 2), __slice(x, null, 2), __slice(x, 2, null), __field((x), 'f'), __field((f(x)), 'g'), __subscript((current_schemas(false)), s.r), __subscript(__subscript(x, 1), 2)"},
		{"collate dropped", `SELECT a COLLATE "C", 'x' COLLATE pg_catalog.default, a COLLATE "en_US" < b FROM t ORDER BY a COLLATE "C"`,
			"select a, 'x', a < b from t order by a"},
		// Functions.
		{"extract", "SELECT extract(year FROM ts), extract('epoch' FROM ts), EXTRACT(Epoch FROM now()), date_part('month', ts)",
			"select date_part('year', ts), date_part('epoch', ts), date_part('epoch', now()), date_part('month', ts)"},
		{"substring position", "SELECT substring(x from 2 for 3), substring(x from 2), substring(x for 3), substring(x, 1, 2), position('a' in x), position(a || b in c)",
			"select substring(x, 2, 3), substring(x, 2), substring(x, 1, 3), substring(x, 1, 2), position('a' in x), position(__op('||', a, b) in c)"},
		{"trim overlay", "SELECT trim(both 'x' from y), trim(leading from y), trim(from y), trim(y), trim(y, 'x'), trim(trailing y, 'x'), overlay('abc' placing 'x' from 2 for 1), overlay(a placing b from 1)",
			"select trim(both 'x' from y), trim(leading from y), trim(both from y), trim(y), btrim(y, 'x'), rtrim(y, 'x'), overlay('abc', 'x', 2, 1), overlay(a, b, 1)"},
		{"aggregate filter and within group", "SELECT count(*) FILTER (WHERE a > 1), sum(x) FILTER (WHERE y), percentile_cont(0.5) WITHIN GROUP (ORDER BY x DESC), mode() WITHIN GROUP (ORDER BY y)",
			`select __agg_filter(count(*), a > 1), __agg_filter(sum(x), y), __within_group(percentile_cont(0.5), x, 'desc'), __within_group("mode"(), y, 'asc')`},
		{"aggregate distinct and order", "SELECT string_agg(DISTINCT a, ',' ORDER BY a), array_agg(x ORDER BY y DESC NULLS LAST, z), count(DISTINCT a), sum(DISTINCT b), bool_and(DISTINCT c)",
			"select __agg_order(__agg_distinct(string_agg(a, ',')), a, 'asc'), __agg_order(array_agg(x), __nulls_last(y), 'desc', z, 'asc'), count(distinct a), sum(distinct b), __agg_distinct(bool_and(c))"},
		{"grouping sets", "SELECT a, grouping(a, b) FROM t GROUP BY ROLLUP (a, (b, c)), CUBE (d), GROUPING SETS ((), (a), a, (a, b), ROLLUP (e), GROUPING SETS (f)), ()",
			`select a, grouping(a, b) from t group by __rollup(a, (b, c)), __cube(d), __grouping_sets(__gset(), (a), a, (a, b), __rollup(e), __grouping_sets(f)), __gset()`},
		{"group by distinct", "SELECT a FROM t GROUP BY DISTINCT ROLLUP (a), a", "select a from t group by __group_distinct(), __rollup(a), a"},
		{"distinct on", "SELECT DISTINCT ON (a, b + 1) a, b FROM t ORDER BY a", "select distinct a, b, __distinct_on(a, b + 1) from t order by a"},
		{"distinct on star", "SELECT DISTINCT ON (1) * FROM t", "select distinct *, __distinct_on(1) from t"},
		{"aggregate wrappers nest", "SELECT count(DISTINCT a) FILTER (WHERE b), array_agg(x ORDER BY y) FILTER (WHERE z)",
			"select __agg_filter(count(distinct a), b), __agg_filter(__agg_order(array_agg(x), y, 'asc'), z)"},
		{"function names", `SELECT stddev(x), variance(x), stddev_pop(x), left('abc', 1), "Left"(x), value(x), pg_catalog.now(), pg_catalog.count(*), myschema.f(1), "S"."F"(2)`,
			`select stddev_samp(x), var_samp(x), stddev_pop(x), left('abc', 1), "Left"(x), "value"(x), now(), count(*), myschema.f(1), "S"."F"(2)`},
		{"special values", "SELECT true, false, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(3), CURRENT_DATE, LOCALTIMESTAMP, current_user, current_role, session_user, user, current_catalog, current_schema, current_schema()",
			"select true, false, null, current_timestamp, current_timestamp(3), current_date, localtimestamp, current_user, current_user(), session_user(), current_user(), current_database(), current_schema(), current_schema()"},
		{"case coalesce exists", "SELECT CASE WHEN a THEN 1 ELSE 3 END, CASE x WHEN 1 THEN 'a' END, coalesce(a, b), nullif(a, b), EXISTS (SELECT 1)",
			"select case when a then 1 else 3 end, case x when 1 then 'a' end, coalesce(a, b), nullif(a, b), exists (select 1)"},
		{"windows", "SELECT count(*) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), sum(x) OVER w, rank() OVER (w ORDER BY y DESC NULLS LAST) FROM t WINDOW w AS (PARTITION BY k)",
			"select count(*) over (partition by a order by b rows between 1 preceding and current row), sum(x) over w, rank() over (w order by __nulls_last(y) desc) from t window w as (partition by k)"},
		{"range frames", "SELECT avg(v) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '1 hour' PRECEDING AND CURRENT ROW), avg(v) OVER (ORDER BY ts RANGE INTERVAL '5' MINUTE PRECEDING) FROM t",
			"select avg(v) over (order by ts range between interval 1 hour preceding and current row), avg(v) over (order by ts range interval 5 minute preceding) from t"},
		// Names.
		{"names that are TiDB keywords", `SELECT key, value, range, "rank", t.from, a AS key, b range FROM t AS "key"`,
			`select "key", "value", "range", "rank", t."from", a as "key", b "range" from t as "key"`},
		{"quoted names keep case", `SELECT "T"."Col", "T".*, "a""b" FROM "T"`, `select "T"."Col", "T".*, "a""b" from "T"`},
		{"names TiDB would misread", "SELECT _binary, _utf8mb4, é, a$b FROM t", `select "_binary", "_utf8mb4", "é", a$b from t`},
		{"parameters", "SELECT $1, $2 + 1 FROM t WHERE a = $3", "select $1, $2 + 1 from t where a = $3"},
		// ORDER BY, LIMIT.
		{"nulls ordering", "SELECT a FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST, c ASC, d USING >, 1",
			"select a from t order by __nulls_first(a) desc, __nulls_last(b), c asc, d desc, 1"},
		{"limit all", "SELECT a FROM t LIMIT ALL", "select a from t"},
		{"limit null", "SELECT a FROM t LIMIT NULL", "select a from t"},
		{"offset alone", "SELECT a FROM t OFFSET 5 ROWS", "select a from t limit 18446744073709551615 offset 5"},
		{"offset before limit", "SELECT a FROM t OFFSET 20 LIMIT 10", "select a from t limit 10 offset 20"},
		{"fetch first", "SELECT a FROM t OFFSET 2 ROWS FETCH FIRST 3 ROWS ONLY", "select a from t limit 3 offset 2"},
		{"fetch next row", "SELECT a FROM t FETCH NEXT ROW ONLY", "select a from t limit 1"},
		{"limit parameters", "SELECT a FROM t LIMIT $1 OFFSET $2", "select a from t limit ? offset ?"},
		{"limit before locking", "SELECT a FROM t FOR SHARE LIMIT 1", "select a from t limit 1 for share"},
		{"locking strengths", "SELECT a FROM t FOR NO KEY UPDATE OF t NOWAIT", "select a from t for update of t nowait"},
		{"limit of a union", "(SELECT 1 LIMIT 1) UNION (SELECT 2) ORDER BY 1 LIMIT 5", "(select 1 limit 1) union (select 2) order by 1 limit 5"},
		// VALUES, TABLE, WITH.
		{"values statement", "VALUES (1, 'a'), (2, 'b')", "values row(1, 'a'), row(2, 'b')"},
		{"parenthesized values", "(VALUES (1,2),(3,4))", "(values row(1,2), row(3,4))"},
		{"values in a cte", "WITH x AS (VALUES (1)) SELECT * FROM x", "with x as (values row(1)) select * from x"},
		{"table statement", "TABLE ONLY s.t ORDER BY 1", "select * from s.t order by 1"},
		{"cte hints dropped", "WITH x AS MATERIALIZED (SELECT 1), y(a) AS NOT MATERIALIZED (SELECT 2) SELECT * FROM x, y",
			"with x as (select 1), y(a) as (select 2) select * from x, y"},
		{"recursive cte", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
			"with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select * from r"},
		// FROM.
		{"column alias lists", `SELECT * FROM t AS x(a, b), (SELECT 1, 2) s(a, "B"), (VALUES (1,2)) AS v(a, b)`,
			"select * from t as \"x\x01a\x01b\", (select 1, 2) as \"s\x01a\x01B\", (values row(1,2)) as \"v\x01a\x01b\""},
		{"table functions", "SELECT * FROM read_parquet('x/*.parquet') t, generate_series(1, 10) AS g(i), unnest(ARRAY[1,2]), pg_catalog.foo(1), LATERAL myschema.bar(t.a)",
			"select * from \"\x02read_parquet('x/*.parquet')\" as t, \"\x02generate_series(1, 10)\" as \"g\x01i\", \"\x02unnest(__array(1, 2))\", \"\x02foo(1)\", \"\x02myschema.bar(t.a)\""},
		{"joins", "SELECT * FROM t JOIN u USING (a, b) CROSS JOIN v LEFT OUTER JOIN w ON true NATURAL JOIN z, LATERAL (SELECT t.a) AS x, ONLY q, (r JOIN s ON r.a = s.a)",
			"select * from t join u using (a, b) cross join v left outer join w on true natural join z, lateral (select t.a) as x, q, (r join s on r.a = s.a)"},
		{"full and natural joins", "SELECT * FROM t FULL OUTER JOIN u ON t.a = u.a FULL JOIN v USING (a) NATURAL FULL JOIN w NATURAL INNER JOIN x NATURAL LEFT OUTER JOIN y NATURAL RIGHT JOIN z",
			"select * from t straight_join u on t.a = u.a straight_join v using (a) straight_join w on __natural() natural join x natural left outer join y natural right join z"},
		// INSERT.
		{"insert values", "INSERT INTO t (a, b) VALUES (1, DEFAULT), ($1, $2::int)", "insert into t (a, b) values (1, default), ($1, __cast($2, 'int'))"},
		{"insert select", "INSERT INTO public.t SELECT * FROM u WHERE x ~ 'y'", "insert into public.t select * from u where __op('~', x, 'y')"},
		{"insert default values", "INSERT INTO t DEFAULT VALUES", "insert into t () values ()"},
		{"insert quoting", `INSERT INTO "Key" ("Value", range) VALUES (E'a\nb', $$x$$)`, "insert into \"Key\" (\"Value\", \"range\") values ('a\nb', 'x')"},
		// Literals.
		{"numbers", "SELECT 0x1F, 1_000, 1.5e3, .5, 1.", "select 31, 1000, 1.5e3, .5, 1."},
		{"numbers TiDB cannot hold", "SELECT 007, 000.50, " + strings.Repeat("0", 90) + "1, 1" + strings.Repeat("0", 85) + ", 0." + strings.Repeat("0", 80) + "1, 1e400, 1e-400, 1.5e308",
			"select 7, 0.50, 1, __cast('1" + strings.Repeat("0", 85) + "', 'numeric'), __cast('0." + strings.Repeat("0", 80) + "1', 'numeric'), __cast('1e400', 'numeric'), __cast('1e-400', 'numeric'), 1.5e308"},
		{"strings", `SELECT 'a''b', E'\'', $$a'b$$, E'tab\there', U&'\0041', 'multi'` + "\n'line'",
			"select 'a''b', '''', 'a''b', 'tab\there', 'A', 'multiline'"},
		{"comments vanish", "SELECT /* hint */ 1 -- tail\n, /*+ x */ 2 # 3", "select 1, __op('#', 2, 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parsedOf(t, parseOne(t, c.in))
			if p.Rewritten != c.want {
				t.Errorf("rewrite of %q\n got %q\nwant %q", c.in, p.Rewritten, c.want)
			}
		})
	}
}

// TestRewriteShape checks the tree TiDB builds from rewritten text.
func TestRewriteShape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT a || b * c", "SELECT __OP(_UTF8MB4'||', `a`, `b`*`c`)"},
		{"SELECT a | b & c", "SELECT (`a`|`b`)&`c`"},
		{"SELECT x::int + 1 FROM t", "SELECT __CAST(`x`, _UTF8MB4'int')+1 FROM `t`"},
		{"SELECT a FROM t ORDER BY a DESC NULLS LAST", "SELECT `a` FROM `t` ORDER BY __NULLS_LAST(`a`) DESC"},
		{"SELECT a FROM t OFFSET 3 FETCH FIRST 2 ROWS ONLY", "SELECT `a` FROM `t` LIMIT 3,2"},
		{"SELECT a FROM t LIMIT $1 OFFSET $2", "SELECT `a` FROM `t` LIMIT `$2`,`$1`"},
		{"SELECT a FROM t LIMIT 2 + 3", "SELECT `a` FROM `t` LIMIT 2+3"},
		{"VALUES (1), (2)", "VALUES ROW(1), ROW(2)"},
		{"SELECT * FROM t x(a)", "SELECT * FROM `t` AS `x\x01a`"},
		{"SELECT count(*) FILTER (WHERE a) FROM t", "SELECT __AGG_FILTER(COUNT(1), `a`) FROM `t`"},
		{"SELECT a FROM t WHERE a = ANY (SELECT b FROM u)", "SELECT `a` FROM `t` WHERE `a`=ANY (SELECT `b` FROM `u`)"},
		{"INSERT INTO t VALUES (1, $1)", "INSERT INTO `t` VALUES (1,`$1`)"},
		{"SELECT * FROM t FULL JOIN u ON t.a = u.a LEFT JOIN v USING (b) FULL JOIN w ON true", "SELECT * FROM ((`t` STRAIGHT_JOIN `u` ON `t`.`a`=`u`.`a`) LEFT JOIN `v` USING (`b`)) STRAIGHT_JOIN `w` ON TRUE"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p := parsedOf(t, parseOne(t, c.in))
			if got := restore(t, p.Node); got != c.want {
				t.Errorf("Restore of %q\n got %s\nwant %s", c.in, got, c.want)
			}
		})
	}
}

func TestBooleanLiteralsCarryTheBooleanFlag(t *testing.T) {
	sel := parsedOf(t, parseOne(t, "SELECT true, 1")).Node.(*ast.SelectStmt)
	isBool := func(e ast.ExprNode) bool {
		v, ok := e.(*driver.ValueExpr)
		return ok && mysql.HasIsBooleanFlag(v.GetType().GetFlag())
	}
	if !isBool(sel.Fields.Fields[0].Expr) || isBool(sel.Fields.Fields[1].Expr) {
		t.Errorf("TRUE and 1 are not told apart by IsBooleanFlag")
	}
}

func TestRewriteRefusals(t *testing.T) {
	cases := []struct {
		in, msg string
		pos     int
	}{
		{"SELECT sum(a) OVER (ORDER BY b GROUPS 1 PRECEDING) FROM t", "GROUPS window frames is not supported", 32},
		{"SELECT sum(a) OVER (ORDER BY b ROWS UNBOUNDED PRECEDING EXCLUDE CURRENT ROW) FROM t", "EXCLUDE in window frames is not supported", 57},
		{"SELECT sum(a) OVER (ORDER BY b RANGE INTERVAL '1 month 2 days' PRECEDING) FROM t", "RANGE offset '1 month 2 days' is not supported", 38},
		{"SELECT string_agg(a, ',') OVER () FROM t", "window function string_agg is not supported", 27},
		{"SELECT sum(a) FILTER (WHERE b) OVER () FROM t", "OVER on an aggregate with FILTER, ORDER BY or WITHIN GROUP is not supported", 32},
		{"SELECT count(DISTINCT a) OVER () FROM t", "DISTINCT in a window function is not supported", 26},
		{"SELECT a FROM t FETCH FIRST 1 ROW WITH TIES", "FETCH FIRST … WITH TIES is not supported", 35},
		{"SELECT * FROM unnest(a) WITH ORDINALITY", "WITH ORDINALITY is not supported", 25},
		{"SELECT * FROM ROWS FROM (f(1))", "ROWS FROM is not supported", 15},
		{"SELECT * FROM t TABLESAMPLE SYSTEM (10)", "TABLESAMPLE is not supported", 17},
		{"SELECT a INTO b FROM t", "SELECT INTO is not supported", 10},
		{"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "ON CONFLICT is not supported", 26},
		{"INSERT INTO t VALUES (1) RETURNING *", "RETURNING is not supported", 26},
		{"SELECT f(a => 1)", "named arguments is not supported", 10},
		{"SELECT f(VARIADIC a)", "VARIADIC is not supported", 10},
		{"SELECT a IS DOCUMENT", "IS DOCUMENT is not supported", 10},
		{"SELECT ROW(1)", "ROW with fewer than two fields is not supported", 8},
		{"WITH x AS (DELETE FROM t) SELECT 1", "data-modifying statements in WITH is not supported", 12},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			e := sqlstate.As(err)
			if e == nil || e.Code != sqlstate.FeatureNotSupported || e.Message != c.msg || e.Position != c.pos {
				t.Errorf("Parse(%q) = %v, want 0A000 %q at %d", c.in, describe(err), c.msg, c.pos)
			}
		})
	}
}

// describe renders an error with its code and position for test messages.
func describe(err error) string {
	e := sqlstate.As(err)
	if e == nil {
		return "<no sqlstate error: " + errString(err) + ">"
	}
	return e.Code + " " + e.Message + " at " + itoa(e.Position)
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestSplitAliasAndTableFunc(t *testing.T) {
	name, cols := SplitAlias("g\x01i\x01j")
	if name != "g" || len(cols) != 2 || cols[0] != "i" || cols[1] != "j" {
		t.Errorf("SplitAlias = %q %q", name, cols)
	}
	if name, cols := SplitAlias("plain"); name != "plain" || cols != nil {
		t.Errorf("SplitAlias(plain) = %q %q", name, cols)
	}

	sel := parsedOf(t, parseOne(t, "SELECT * FROM generate_series(1, $1) AS g(i), myschema.f('a''b')")).Node.(*ast.SelectStmt)
	join := sel.From.TableRefs
	var names []string
	var aliases []string
	ast.Node(join).Accept(&tableNameCollector{names: &names, aliases: &aliases})
	if len(names) != 2 {
		t.Fatalf("tables = %q", names)
	}
	fn, args, ok, err := ParseTableFunc(names[0])
	if err != nil || !ok || fn != "generate_series" || len(args) != 2 {
		t.Fatalf("ParseTableFunc(%q) = %q %d %v %v", names[0], fn, len(args), ok, err)
	}
	if c, isCol := args[1].(*ast.ColumnNameExpr); !isCol || c.Name.Name.O != "$1" {
		t.Errorf("second argument = %T, want the parameter $1", args[1])
	}
	if aliases[0] != "g\x01i" {
		t.Errorf("alias = %q", aliases[0])
	}
	fn, args, ok, err = ParseTableFunc(names[1])
	if err != nil || !ok || fn != "myschema.f" || len(args) != 1 {
		t.Fatalf("ParseTableFunc(%q) = %q %d %v %v", names[1], fn, len(args), ok, err)
	}
	if v, isVal := args[0].(*driver.ValueExpr); !isVal || v.GetString() != "a'b" {
		t.Errorf("argument = %#v", args[0])
	}
	if _, _, ok, err := ParseTableFunc("telemetry"); ok || err != nil {
		t.Errorf("ParseTableFunc(telemetry) = %v %v, want not a function", ok, err)
	}
	if _, _, ok, err := ParseTableFunc("\x02count(*)"); !ok || sqlstate.CodeOf(err) != sqlstate.GroupingError {
		t.Errorf("ParseTableFunc(count(*)) = %v %v, want 42803", ok, err)
	}
	if _, _, ok, err := ParseTableFunc("\x02not a call ("); !ok || sqlstate.CodeOf(err) != sqlstate.SyntaxError {
		t.Errorf("ParseTableFunc(garbage) = %v %v, want 42601", ok, err)
	}
}

type tableNameCollector struct{ names, aliases *[]string }

func (v *tableNameCollector) Enter(n ast.Node) (ast.Node, bool) {
	if ts, ok := n.(*ast.TableSource); ok {
		if tn, ok := ts.Source.(*ast.TableName); ok {
			*v.names = append(*v.names, tn.Name.O)
			*v.aliases = append(*v.aliases, ts.AsName.O)
		}
	}
	return n, false
}

func (v *tableNameCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func TestRewriteJoinSyntaxErrors(t *testing.T) {
	cases := []struct {
		in  string
		pos int
	}{
		{"SELECT * FROM t FULL JOIN u", 28},
		{"SELECT * FROM t FULL JOIN u WHERE true", 29},
		{"SELECT * FROM t NATURAL FULL JOIN u ON true", 37},
		{"SELECT * FROM t NATURAL JOIN u USING (a)", 32},
		{"SELECT * FROM t NATURAL CROSS JOIN u", 25},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			e := sqlstate.As(err)
			if e == nil || e.Code != sqlstate.SyntaxError || e.Position != c.pos {
				t.Errorf("Parse(%q) = %v, want 42601 at %d", c.in, describe(err), c.pos)
			}
		})
	}
}
