package dev.quark.testkit.reminder;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A full cluster restart on a {@link RedisReminderTable} of the test server ({@code QUARK_TEST_REDIS_URL}), under a
 * key prefix of its own.
 */
class RedisReminderClusterRestartTests extends ReminderClusterRestartTests {

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisReminderClusterRestartTests.class);
        connectionFactory = RedisTestConnections.connect(server);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
        if (server != null && prefix != null) {
            server.deleteKeys(prefix);
        }
    }

    @Override
    protected ReminderTable table() {
        return new RedisReminderTable(connectionFactory, prefix);
    }
}
