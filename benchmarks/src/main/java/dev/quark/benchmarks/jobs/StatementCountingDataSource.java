package dev.quark.benchmarks.jobs;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * A {@link DataSource} that counts what its connections send to the server: statements executed (by their first
 * words, so that the kinds show apart), commits and rollbacks; every one of them is a round trip (pgjdbc sends the
 * {@code BEGIN} of a transaction with its first statement). For the jobs workload's {@code QUARK_BENCH_JOBS_COUNT=true}
 * runs only: it goes through {@link Proxy} on every call, so the rounds that measure jobs/s run without it.
 */
final class StatementCountingDataSource extends DelegatingDataSource {

    private static final Set<String> EXECUTES = Set.of("execute", "executeQuery", "executeUpdate", "executeBatch",
            "executeLargeUpdate", "executeLargeBatch");

    private final Map<String, LongAdder> statements = new ConcurrentHashMap<>();

    private final LongAdder commits = new LongAdder();

    private final LongAdder rollbacks = new LongAdder();

    StatementCountingDataSource(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return counting(super.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return counting(super.getConnection(username, password));
    }

    /** Forgets what was counted so far. */
    void reset() {
        this.statements.clear();
        this.commits.reset();
        this.rollbacks.reset();
    }

    /** Returns the statements executed since the last reset, by kind. */
    Map<String, Long> statements() {
        Map<String, Long> counts = new TreeMap<>();
        this.statements.forEach((kind, count) -> counts.put(kind, count.sum()));
        return counts;
    }

    long commits() {
        return this.commits.sum();
    }

    long rollbacks() {
        return this.rollbacks.sum();
    }

    private Connection counting(Connection connection) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Connection.class },
                new Counting(connection, null));
    }

    /** The kind of a statement: its first words, whitespace folded. */
    static String kind(String sql) {
        String folded = sql.strip().replaceAll("\\s+", " ");
        return (folded.length() > 70) ? folded.substring(0, 70) : folded;
    }

    private final class Counting implements InvocationHandler {

        private final Object target;

        private final String sql;

        Counting(Object target, String sql) {
            this.target = Objects.requireNonNull(target);
            this.sql = sql;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (this.target instanceof Connection) {
                if (name.equals("commit")) {
                    StatementCountingDataSource.this.commits.increment();
                }
                else if (name.equals("rollback") && (args == null || args.length == 0)) {
                    StatementCountingDataSource.this.rollbacks.increment();
                }
            }
            else if (EXECUTES.contains(name)) {
                String sql = (args != null && args.length > 0 && args[0] instanceof String text) ? text : this.sql;
                StatementCountingDataSource.this.statements.computeIfAbsent(kind(String.valueOf(sql)),
                        (kind) -> new LongAdder()).increment();
            }
            Object result;
            try {
                result = method.invoke(this.target, args);
            }
            catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
            if (result instanceof Statement statement && (name.startsWith("prepare") || name.equals("createStatement"))) {
                Class<?> type = method.getReturnType();
                String sql = (args != null && args.length > 0 && args[0] instanceof String text) ? text : null;
                return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { type },
                        new Counting(statement, sql));
            }
            return result;
        }
    }
}
