package dev.quark.jobs.runtime;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store that cannot be reached is told from one that answered and refused a write.
 */
class ConnectionFailuresTests {

    @Test
    void failuresToReachTheStoreAreConnectionFailuresAnywhereInTheCauseChain() {
        assertThat(ConnectionFailures.isConnectionFailure(new CannotGetJdbcConnectionException("no connection",
                new SQLTransientConnectionException("request timed out after 30000ms")))).isTrue();
        assertThat(ConnectionFailures.isConnectionFailure(new IllegalStateException("wrapped",
                new SQLNonTransientConnectionException("connection closed")))).isTrue();
        assertThat(ConnectionFailures.isConnectionFailure(new SQLException("I/O error", "08006"))).isTrue();
        assertThat(ConnectionFailures.isConnectionFailure(new RedisConnectionFailureException("down"))).isTrue();
        assertThat(ConnectionFailures.isConnectionFailure(new RedisSystemException("failed",
                new ConnectException("Connection refused")))).isTrue();
    }

    @Test
    void aStoreThatAnsweredAndRefusedIsNoConnectionFailure() {
        assertThat(ConnectionFailures.isConnectionFailure(new DataIntegrityViolationException("bad row",
                new SQLException("invalid byte sequence for encoding UTF8: 0x00", "22021")))).isFalse();
        assertThat(ConnectionFailures.isConnectionFailure(new QueryTimeoutException("lock timeout",
                new SQLTimeoutException("canceling statement due to lock timeout", "55P03")))).isFalse();
        assertThat(ConnectionFailures.isConnectionFailure(new RedisSystemException("failed",
                new IllegalArgumentException("WRONGTYPE")))).isFalse();
        assertThat(ConnectionFailures.isConnectionFailure(new IllegalStateException("refused"))).isFalse();
        assertThat(ConnectionFailures.isConnectionFailure(null)).isFalse();
    }
}
