package dev.quark.testkit.reminder;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Reminder hand-over on a {@link RedisReminderTable} of the test server ({@code QUARK_TEST_REDIS_URL}): each test
 * under a key prefix of its own, below the class's.
 */
class RedisReminderHandOverTests extends ReminderHandOverTests {

    private static final AtomicInteger tests = new AtomicInteger();

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisReminderHandOverTests.class);
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
    protected ReminderTable table(Clock clock) {
        return new RedisReminderTable(connectionFactory, prefix + tests.incrementAndGet() + ":",
                RedisReminderTable.DEFAULT_REPLY_TIMEOUT, clock);
    }
}
