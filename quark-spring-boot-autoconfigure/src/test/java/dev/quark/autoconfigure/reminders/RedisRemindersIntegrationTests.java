package dev.quark.autoconfigure.reminders;

import java.time.Duration;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.health.QuarkRemindersHealthContributorAutoConfiguration;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reminders on a real Redis, as an application gets them through {@code quark.reminders.backend=redis}.
 */
class RedisRemindersIntegrationTests extends RemindersRestartScenarios {

    private static RedisTestServer server;

    private static String prefix;

    @BeforeAll
    static void start() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisRemindersIntegrationTests.class);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.deleteKeys(prefix);
        }
    }

    @Override
    ApplicationContextRunner contextRunner() {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class,
                    QuarkRemindersHealthContributorAutoConfiguration.class))
            .withUserConfiguration(AlarmApplication.class)
            .withPropertyValues("quark.reminders.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "spring.data.redis.host=" + server.host(), "spring.data.redis.port=" + server.port(),
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""));
    }

    @Override
    Class<? extends ReminderTable> tableType() {
        return RedisReminderTable.class;
    }

    @Test
    void theTablesReplyTimeoutComesFromItsProperty() {
        contextRunner().run((context) -> assertThat(context.getBean(RedisReminderTable.class).replyTimeout())
            .isEqualTo(RedisReminderTable.DEFAULT_REPLY_TIMEOUT));
        contextRunner().withPropertyValues("quark.reminders.redis.reply-timeout=2s")
            .run((context) -> assertThat(context.getBean(RedisReminderTable.class).replyTimeout())
                .isEqualTo(Duration.ofSeconds(2)));
    }
}
