package dev.quark.jobs.runtime;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Tells a failure to reach the store (no connection, a connection refused or broken) from a store that answered and
 * refused a write (a row it cannot take, a lock or statement timeout): only the first says that each further write
 * would fail the same way. Walks the cause chain; Spring's exceptions are recognised by name, Spring JDBC and Spring
 * Data Redis being optional. A timeout of a query is not taken for an unreachable store: the store answered it.
 */
final class ConnectionFailures {

    private static final Set<String> CONNECTION_FAILURES = Set.of(
            "org.springframework.jdbc.CannotGetJdbcConnectionException",
            "org.springframework.data.redis.RedisConnectionFailureException",
            "io.lettuce.core.RedisConnectionException", "redis.clients.jedis.exceptions.JedisConnectionException");

    private ConnectionFailures() {
    }

    /**
     * Returns whether a failure, or one of its causes, is a failure to reach the store.
     * @param failure the failure
     * @return whether the store could not be reached
     */
    static boolean isConnectionFailure(@Nullable Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable cause = failure; cause != null && seen.put(cause, Boolean.TRUE) == null;
                cause = cause.getCause()) {
            if (cause instanceof SQLTransientConnectionException || cause instanceof SQLNonTransientConnectionException
                    || cause instanceof ConnectException) {
                return true;
            }
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && state.startsWith("08")) {
                    return true;
                }
            }
            for (Class<?> type = cause.getClass(); type != null; type = type.getSuperclass()) {
                if (CONNECTION_FAILURES.contains(type.getName())) {
                    return true;
                }
            }
        }
        return false;
    }
}
