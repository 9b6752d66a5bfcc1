package dev.quark.testkit.reminder;

import java.util.Objects;

import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.server.RedisTestArea;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;

/**
 * A full cluster restart on a {@link RedisReminderTable} of the test server ({@code QUARK_TEST_REDIS_URL}), under a
 * key prefix of its own.
 */
class RedisReminderClusterRestartTests extends ReminderClusterRestartTests {

    @AutoClose
    private static @Nullable RedisTestArea area;

    @BeforeAll
    static void connect() {
        area = RedisTestArea.onServer(RedisReminderClusterRestartTests.class);
    }

    @Override
    protected ReminderTable table() {
        RedisTestArea room = Objects.requireNonNull(area, "not connected");
        return new RedisReminderTable(room.connectionFactory(), room.prefix());
    }
}
