package dev.quark.testkit.reminder;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.server.RedisTestArea;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;

/**
 * Reminder hand-over on a {@link RedisReminderTable} of the test server ({@code QUARK_TEST_REDIS_URL}): each test
 * under a key prefix of its own, below the class's.
 */
class RedisReminderHandOverTests extends ReminderHandOverTests {

    private static final AtomicInteger tests = new AtomicInteger();

    @AutoClose
    private static @Nullable RedisTestArea area;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onServer(RedisReminderHandOverTests.class);
    }

    @Override
    protected ReminderTable table(Clock clock) {
        RedisTestArea room = Objects.requireNonNull(area, "not connected");
        return new RedisReminderTable(room.connectionFactory(), room.prefix() + tests.incrementAndGet() + ":",
                RedisReminderTable.DEFAULT_REPLY_TIMEOUT, clock);
    }
}
