// pgjdbc against the lambdasql demo: DatabaseMetaData (getTables,
// getColumns, getSchemas, getPrimaryKeys, getTypeInfo), prepared statements
// with timestamps and doubles (also past prepareThreshold, when pgjdbc
// switches to named server-side statements and binary results), fetch-size
// cursors (portals with row limits), types and errors.
//
// scripts/test-clients.sh compiles it against Debian's
// /usr/share/java/postgresql.jar and runs it with LAMBDASQL_HOST and
// LAMBDASQL_PORT set. Prints one line per check and a
// "pgjdbc: N passed, N failed, N skipped" summary; a failing check listed in
// clients/KNOWN-GAPS.md is a warning under CLIENTS_ALLOW_KNOWN_GAPS=1.

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JdbcTest {
    static final String CLIENT = "pgjdbc";
    static final String DEVICE = "device-00042";
    static final List<String> VIEWS = List.of("device_hourly", "device_metrics", "user_activity");

    // The demo's columns: name, pgjdbc TYPE_NAME, java.sql.Types.
    static final Map<String, List<Object[]>> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("telemetry", List.of(
            col("device_id", "text", Types.VARCHAR), col("event_timestamp", "timestamptz", Types.TIMESTAMP),
            col("temperature", "float8", Types.DOUBLE), col("energy_consumed", "float8", Types.DOUBLE),
            col("user_id", "text", Types.VARCHAR), col("event_type", "text", Types.VARCHAR),
            col("session_duration", "int4", Types.INTEGER), col("revenue", "float8", Types.DOUBLE)));
        COLUMNS.put("device_metrics", List.of(
            col("window_start", "timestamptz", Types.TIMESTAMP), col("window_end", "timestamptz", Types.TIMESTAMP),
            col("device_id", "text", Types.VARCHAR), col("event_count", "int8", Types.BIGINT),
            col("avg_temperature", "float8", Types.DOUBLE), col("max_temperature", "float8", Types.DOUBLE),
            col("min_temperature", "float8", Types.DOUBLE), col("total_energy", "float8", Types.DOUBLE),
            col("unique_users", "int8", Types.BIGINT)));
        COLUMNS.put("device_hourly", List.of(
            col("window_start", "timestamptz", Types.TIMESTAMP), col("window_end", "timestamptz", Types.TIMESTAMP),
            col("device_id", "text", Types.VARCHAR), col("event_count", "int8", Types.BIGINT),
            col("avg_temperature", "float8", Types.DOUBLE), col("max_temperature", "float8", Types.DOUBLE),
            col("min_temperature", "float8", Types.DOUBLE), col("total_energy", "float8", Types.DOUBLE)));
        COLUMNS.put("user_activity", List.of(
            col("window_start", "timestamptz", Types.TIMESTAMP), col("window_end", "timestamptz", Types.TIMESTAMP),
            col("user_id", "text", Types.VARCHAR), col("logins", "int8", Types.BIGINT),
            col("transactions", "int8", Types.BIGINT), col("avg_session_seconds", "numeric", Types.NUMERIC),
            col("revenue", "float8", Types.DOUBLE)));
    }

    static Object[] col(String name, String type, int sqlType) {
        return new Object[] {name, type, sqlType};
    }

    interface Check {
        void run() throws Exception;
    }

    static final Set<String> gaps = knownGaps();
    static final boolean allow = "1".equals(System.getenv("CLIENTS_ALLOW_KNOWN_GAPS"));
    static int passed, failed, skipped;
    static Connection conn;

    static Set<String> knownGaps() {
        Set<String> ids = new HashSet<>();
        Path p = Path.of(System.getProperty("clients.dir", "clients"), "KNOWN-GAPS.md");
        try {
            Pattern re = Pattern.compile("^##\\s+`([^`]+)`");
            for (String line : Files.readAllLines(p)) {
                Matcher m = re.matcher(line);
                if (m.find()) {
                    ids.add(m.group(1));
                }
            }
        } catch (Exception e) {
            // No file: no known gaps.
        }
        return ids;
    }

    static void check(String id, Check c) {
        String full = CLIENT + "." + id;
        long start = System.nanoTime();
        try {
            try {
                c.run();
            } finally {
                // Leave the connection clean for the next check.
                try {
                    if (conn != null && !conn.getAutoCommit()) {
                        conn.rollback();
                        conn.setAutoCommit(true);
                    }
                } catch (SQLException ignored) {
                    // The check's own failure is what is reported.
                }
            }
        } catch (Throwable e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (e instanceof SQLException && ((SQLException) e).getSQLState() != null) {
                msg = "[" + ((SQLException) e).getSQLState() + "] " + msg;
            }
            StackTraceElement at = null;
            for (StackTraceElement el : e.getStackTrace()) {
                if (el.getClassName().startsWith("JdbcTest")) {
                    at = el;
                    break;
                }
            }
            if (at != null) {
                msg += "\n    at JdbcTest.java:" + at.getLineNumber();
            }
            if (gaps.contains(full) && allow) {
                skipped++;
                System.out.println("GAP  " + full + " (known, allowed): " + msg);
            } else {
                failed++;
                System.out.println("FAIL " + full
                    + (gaps.contains(full) ? " (known gap, see clients/KNOWN-GAPS.md)" : "") + ": " + msg);
            }
            return;
        }
        passed++;
        String note = gaps.contains(full) ? "  (listed in KNOWN-GAPS.md but passes now: remove the entry)" : "";
        System.out.printf("ok   %s (%.2fs)%s%n", full, (System.nanoTime() - start) / 1e9, note);
    }

    static void expect(boolean cond, String msg) {
        if (!cond) {
            throw new AssertionError(msg);
        }
    }

    static void expectEq(Object got, Object want, String what) {
        if (got == null ? want != null : !got.equals(want)) {
            throw new AssertionError(what + ": got " + got + ", want " + want);
        }
    }

    static String url(String extra) {
        String host = System.getenv().getOrDefault("LAMBDASQL_HOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("LAMBDASQL_PORT", "5433");
        String db = System.getenv().getOrDefault("LAMBDASQL_DB", "lambdasql");
        return "jdbc:postgresql://" + host + ":" + port + "/" + db
            + "?connectTimeout=10&socketTimeout=120&ApplicationName=clients/JdbcTest.java" + extra;
    }

    static Properties props() {
        Properties p = new Properties();
        p.setProperty("user", System.getenv().getOrDefault("LAMBDASQL_USER", "lambdasql"));
        return p;
    }

    // Telemetry behind the demo's late events (at most 10 min late) and
    // inside its 30-minute backfill: data that no longer changes.
    static Instant[] stableRange() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        return new Instant[] {now.minus(Duration.ofMinutes(25)), now.minus(Duration.ofMinutes(15))};
    }

    public static void main(String[] args) throws Exception {
        check("connect", () -> {
            conn = DriverManager.getConnection(url(""), props());
        });
        if (conn == null) {
            finish();
            return;
        }
        check("metadata_product", JdbcTest::checkProduct);
        check("getTables", JdbcTest::checkTables);
        check("getColumns", JdbcTest::checkColumns);
        check("getSchemas", JdbcTest::checkSchemas);
        check("getPrimaryKeys", JdbcTest::checkPrimaryKeys);
        check("getTypeInfo", JdbcTest::checkTypeInfo);
        check("resultset_metadata", JdbcTest::checkResultSetMetaData);
        check("prepared_timestamp_double", JdbcTest::checkPrepared);
        check("prepared_server_side", JdbcTest::checkPreparedServerSide);
        check("prepared_offsetdatetime", JdbcTest::checkOffsetDateTime);
        check("fetch_size_cursor", JdbcTest::checkFetchSize);
        check("numeric_bigdecimal", JdbcTest::checkNumeric);
        check("errors", JdbcTest::checkErrors);
        conn.close();
        finish();
    }

    static void finish() {
        System.out.println(CLIENT + ": " + passed + " passed, " + failed + " failed, " + skipped + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void checkProduct() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        expectEq(md.getDatabaseProductName(), "PostgreSQL", "getDatabaseProductName");
        expect(md.getDatabaseMajorVersion() >= 15, "getDatabaseMajorVersion " + md.getDatabaseMajorVersion());
        expectEq(md.getUserName(), "lambdasql", "getUserName");
        expect(md.getIdentifierQuoteString().equals("\""), "identifier quote " + md.getIdentifierQuoteString());
        try (ResultSet rs = md.getCatalogs()) {
            List<String> cats = new ArrayList<>();
            while (rs.next()) {
                cats.add(rs.getString("TABLE_CAT"));
            }
            expect(cats.contains("lambdasql"), "getCatalogs " + cats);
        }
    }

    static void checkTables() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        Map<String, String> got = new LinkedHashMap<>();
        try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                expectEq(rs.getString("TABLE_SCHEM"), "public", "TABLE_SCHEM");
                got.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
            }
        }
        expectEq(got.get("telemetry"), "TABLE", "TABLE_TYPE of telemetry (" + got + ")");
        for (String v : VIEWS) {
            expectEq(got.get(v), "VIEW", "TABLE_TYPE of " + v + " (" + got + ")");
        }
        // A pattern, as SQL tools type it.
        List<String> views = new ArrayList<>();
        try (ResultSet rs = md.getTables(null, null, "device\\_%", null)) {
            while (rs.next()) {
                views.add(rs.getString("TABLE_NAME"));
            }
        }
        expectEq(views, List.of("device_hourly", "device_metrics"), "getTables(device\\_%)");
    }

    static void checkColumns() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        for (Map.Entry<String, List<Object[]>> e : COLUMNS.entrySet()) {
            List<String> got = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (Object[] c : e.getValue()) {
                want.add(c[0] + " " + c[1] + " " + c[2]);
            }
            try (ResultSet rs = md.getColumns(null, "public", e.getKey(), "%")) {
                int pos = 0;
                while (rs.next()) {
                    pos++;
                    expectEq(rs.getInt("ORDINAL_POSITION"), pos, "ORDINAL_POSITION in " + e.getKey());
                    got.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE"));
                }
            }
            expectEq(got, want, "getColumns(" + e.getKey() + ")");
        }
        try (ResultSet rs = md.getColumns(null, "public", "telemetry", "device_id")) {
            expect(rs.next(), "getColumns(telemetry, device_id) is empty");
            expectEq(rs.getString("IS_NULLABLE"), "NO", "IS_NULLABLE of telemetry.device_id");
            expectEq(rs.getInt("NULLABLE"), DatabaseMetaData.columnNoNulls, "NULLABLE of telemetry.device_id");
        }
    }

    static void checkSchemas() throws SQLException {
        List<String> got = new ArrayList<>();
        try (ResultSet rs = conn.getMetaData().getSchemas()) {
            while (rs.next()) {
                got.add(rs.getString("TABLE_SCHEM"));
            }
        }
        for (String s : List.of("information_schema", "pg_catalog", "public")) {
            expect(got.contains(s), "getSchemas() lacks " + s + ": " + got);
        }
    }

    static void checkPrimaryKeys() throws SQLException {
        for (String rel : COLUMNS.keySet()) {
            try (ResultSet rs = conn.getMetaData().getPrimaryKeys(null, "public", rel)) {
                expect(!rs.next(), rel + " has a primary key column " + (rs.getRow() > 0 ? rs.getString("COLUMN_NAME") : ""));
            }
        }
        try (ResultSet rs = conn.getMetaData().getIndexInfo(null, "public", "telemetry", false, true)) {
            expect(!rs.next(), "telemetry has an index");
        }
    }

    static void checkTypeInfo() throws SQLException {
        Map<String, Integer> got = new LinkedHashMap<>();
        try (ResultSet rs = conn.getMetaData().getTypeInfo()) {
            while (rs.next()) {
                got.put(rs.getString("TYPE_NAME"), rs.getInt("DATA_TYPE"));
            }
        }
        expectEq(got.get("int4"), Types.INTEGER, "DATA_TYPE of int4");
        expectEq(got.get("int8"), Types.BIGINT, "DATA_TYPE of int8");
        expectEq(got.get("float8"), Types.DOUBLE, "DATA_TYPE of float8");
        expectEq(got.get("text"), Types.VARCHAR, "DATA_TYPE of text");
        expectEq(got.get("numeric"), Types.NUMERIC, "DATA_TYPE of numeric");
        expectEq(got.get("timestamptz"), Types.TIMESTAMP, "DATA_TYPE of timestamptz");
        expectEq(got.get("bool"), Types.BIT, "DATA_TYPE of bool");
    }

    static void checkResultSetMetaData() throws SQLException {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM device_metrics LIMIT 1")) {
            ResultSetMetaData md = rs.getMetaData();
            List<Object[]> want = COLUMNS.get("device_metrics");
            expectEq(md.getColumnCount(), want.size(), "column count");
            for (int i = 1; i <= md.getColumnCount(); i++) {
                expectEq(md.getColumnName(i), want.get(i - 1)[0], "column " + i + " name");
                expectEq(md.getColumnTypeName(i), want.get(i - 1)[1], "column " + i + " type name");
                expectEq(md.getColumnType(i), want.get(i - 1)[2], "column " + i + " java.sql.Types");
            }
            expectEq(md.getTableName(1), "device_metrics", "getTableName(1)");
        }
    }

    // One parameterized query over device_metrics; returns rows read.
    static int queryWindows(PreparedStatement ps, Instant since) throws SQLException {
        ps.setString(1, DEVICE);
        ps.setTimestamp(2, Timestamp.from(since));
        ps.setDouble(3, -100.25);
        int n = 0;
        Instant prev = Instant.EPOCH;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                n++;
                Instant ws = rs.getTimestamp("window_start").toInstant();
                Instant we = rs.getObject("window_end", OffsetDateTime.class).toInstant();
                expectEq(Duration.between(ws, we), Duration.ofMinutes(1), "window length");
                expect(!ws.isBefore(since), "window_start " + ws + " before " + since);
                expect(ws.isAfter(prev), "window starts ascending and unique");
                expectEq(ws.getEpochSecond() % 60, 0L, "window_start on the minute grid");
                prev = ws;
                expectEq(rs.getString("device_id"), DEVICE, "device_id");
                expect(rs.getLong("event_count") > 0, "event_count " + rs.getLong("event_count"));
                Object avg = rs.getObject("avg_temperature");
                expect(avg instanceof Double && (Double) avg > -100.25, "avg_temperature " + avg);
                expect(rs.getObject("event_count") instanceof Long, "event_count is " + rs.getObject("event_count").getClass());
            }
        }
        return n;
    }

    static final String WINDOWS = "SELECT window_start, window_end, device_id, event_count, avg_temperature"
        + " FROM device_metrics WHERE device_id = ? AND window_start >= ? AND avg_temperature > ?"
        + " ORDER BY window_start";

    static void checkPrepared() throws SQLException {
        Instant since = Instant.now().minus(Duration.ofMinutes(20));
        try (PreparedStatement ps = conn.prepareStatement(WINDOWS)) {
            int n = queryWindows(ps, since);
            expect(n >= 10, "want at least 10 windows since " + since + ", got " + n);
        }
    }

    static void checkPreparedServerSide() throws SQLException {
        // Past prepareThreshold (5) pgjdbc uses a named statement, and binary
        // transfer for timestamptz, int8 and float8 results.
        Instant since = Instant.now().minus(Duration.ofMinutes(20));
        try (PreparedStatement ps = conn.prepareStatement(WINDOWS)) {
            for (int i = 0; i < 8; i++) {
                int n = queryWindows(ps, since);
                expect(n >= 10, "run " + i + ": want at least 10 windows, got " + n);
            }
        }
        // The same again on a connection that forces binary for everything.
        try (Connection c = DriverManager.getConnection(url("&prepareThreshold=-1&binaryTransfer=true"), props());
             PreparedStatement ps = c.prepareStatement(WINDOWS)) {
            for (int i = 0; i < 2; i++) {
                int n = queryWindows(ps, since);
                expect(n >= 10, "forced binary run " + i + ": want at least 10 windows, got " + n);
            }
        }
    }

    static void checkOffsetDateTime() throws SQLException {
        OffsetDateTime t = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_000_000, ZoneOffset.ofHours(2));
        try (PreparedStatement ps = conn.prepareStatement("SELECT ?::timestamptz, ?::float8 * 2, ?::text")) {
            ps.setObject(1, t);
            ps.setDouble(2, 1.25);
            ps.setString(3, "it's");
            try (ResultSet rs = ps.executeQuery()) {
                expect(rs.next(), "no row");
                expectEq(rs.getObject(1, OffsetDateTime.class).toInstant(), t.toInstant(), "timestamptz round trip");
                expectEq(rs.getDouble(2), 2.5, "float8 parameter");
                expectEq(rs.getString(3), "it's", "text parameter");
            }
        }
    }

    static void checkFetchSize() throws SQLException {
        Instant[] r = stableRange();
        String q = "SELECT device_id, event_timestamp, temperature FROM telemetry"
            + " WHERE device_id = ? AND event_timestamp >= ? AND event_timestamp < ?";
        long want;
        try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM (" + q + ") AS t")) {
            ps.setString(1, DEVICE);
            ps.setTimestamp(2, Timestamp.from(r[0]));
            ps.setTimestamp(3, Timestamp.from(r[1]));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                want = rs.getLong(1);
            }
        }
        expect(want > 100, "only " + want + " telemetry rows of " + DEVICE);
        // A fetch size outside autocommit makes pgjdbc read through a portal
        // (Execute with a row limit, PortalSuspended, Execute again).
        conn.setAutoCommit(false);
        long n = 0;
        try (PreparedStatement ps = conn.prepareStatement(q)) {
            ps.setFetchSize(50);
            ps.setString(1, DEVICE);
            ps.setTimestamp(2, Timestamp.from(r[0]));
            ps.setTimestamp(3, Timestamp.from(r[1]));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n++;
                    expectEq(rs.getString(1), DEVICE, "device_id");
                    Instant ts = rs.getTimestamp(2).toInstant();
                    expect(!ts.isBefore(r[0]) && ts.isBefore(r[1]), "event_timestamp " + ts + " outside the range");
                }
            }
        }
        conn.commit();
        conn.setAutoCommit(true);
        expectEq(n, want, "rows read with fetch size 50");
    }

    static void checkNumeric() throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT avg_session_seconds FROM user_activity"
            + " WHERE avg_session_seconds IS NOT NULL AND window_start >= ? LIMIT 5")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now().minus(Duration.ofHours(1))));
            try (ResultSet rs = ps.executeQuery()) {
                int n = 0;
                while (rs.next()) {
                    n++;
                    Object v = rs.getObject(1);
                    expect(v instanceof java.math.BigDecimal && ((java.math.BigDecimal) v).signum() > 0,
                        "avg_session_seconds " + v);
                }
                expect(n > 0, "no user_activity row with avg_session_seconds");
            }
        }
    }

    static void checkErrors() throws SQLException {
        try (Statement st = conn.createStatement()) {
            try {
                st.executeQuery("SELECT * FROM no_such_view");
                throw new AssertionError("SELECT from a missing relation succeeded");
            } catch (SQLException e) {
                expectEq(e.getSQLState(), "42P01", "SQLSTATE of a missing relation");
            }
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                expect(rs.next() && rs.getInt(1) == 1, "SELECT 1 after an error");
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT ?::int")) {
            ps.setString(1, "not a number");
            ps.executeQuery();
            throw new AssertionError("'not a number'::int succeeded");
        } catch (SQLException e) {
            expectEq(e.getSQLState(), "22P02", "SQLSTATE of a bad integer");
        }
    }
}
