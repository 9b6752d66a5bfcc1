package dev.quark.autoconfigure.reminders;

import java.time.Duration;

import javax.sql.DataSource;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.fixtures.alarm.Alarm;
import dev.quark.autoconfigure.fixtures.alarm.AlarmActor;
import dev.quark.autoconfigure.fixtures.alarm.AlarmLog;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.jdbc.JdbcReminderTable;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.reminder.redis.RedisReminderTable;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkRemindersAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkRemindersAutoConfiguration.class))
        .withUserConfiguration(AlarmApplication.class);

    @Test
    void byDefaultRemindersLiveInMemoryAndFireAsTurnsOfTheirActors() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(InMemoryReminderTable.class)
                .hasSingleBean(ReminderRegistry.class)
                .hasSingleBean(ReminderTickManager.class);
            assertThat(context.getBean(ReminderTickManager.class).isRunning()).as("started with the context").isTrue();
            ManualScheduler scheduler = context.getBean(ManualScheduler.class);
            context.getBean(ActorRefFactory.class).get(Alarm.class, "a").ringIn("wake", Duration.ofSeconds(5), "hi");
            scheduler.advance(Duration.ofSeconds(5));
            assertThat(context.getBean(AlarmLog.class).rings())
                .containsExactly("a/wake@" + ManualClock.DEFAULT_START.plusSeconds(5) + ":hi");
            assertThat(context.getBean(ActorRefFactory.class).get(Alarm.class, "a").reminderCount()).isZero();
        });
    }

    @Test
    void theTickManagerStopsWithTheContext() {
        this.contextRunner.run((context) -> {
            ReminderTickManager manager = context.getBean(ReminderTickManager.class);
            context.close();
            assertThat(manager.isRunning()).isFalse();
        });
    }

    @Test
    void remindersBackendOverridesQuarkBackend() {
        this.contextRunner.withPropertyValues("quark.backend=redis", "quark.reminders.backend=memory")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(ReminderTable.class)).isInstanceOf(InMemoryReminderTable.class);
            });
    }

    @Test
    void onPostgresTheAreaContributesItsChangelog() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=postgres", "quark.postgres.initialize-schema=false")
            .withBean(DataSource.class, SimpleDriverDataSource::new)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(ReminderTable.class)).isInstanceOf(JdbcReminderTable.class);
                assertThat(context.getBean("quarkRemindersChangelog", QuarkChangelog.class))
                    .isEqualTo(new QuarkChangelog("reminders", "db/changelog/quark/reminders.xml"));
            });
    }

    /** The shared failure analyzer turns this exception into its report: see MissingBackendDependencyFailureAnalyzerTests. */
    @Test
    void redisWithoutSpringDataRedisFailsStartupNamingTheStarter() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessage("Quark's 'reminders' area uses quark.reminders.backend=redis, which needs Spring Data "
                            + "Redis on the class path: add the dependency "
                            + "org.springframework.boot:spring-boot-starter-data-redis");
            });
    }

    @Test
    void postgresWithoutSpringJdbcFailsStartupNamingTheStarter() {
        this.contextRunner.withPropertyValues("quark.backend=postgres")
            .withClassLoader(new FilteredClassLoader(JdbcClient.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("Quark's 'reminders' area uses quark.backend=postgres")
                    .hasMessageContaining("org.springframework.boot:spring-boot-starter-jdbc");
            });
    }

    @Test
    void wrongPropertiesFailStartupNamingTheProperty() {
        assertInvalid("quark.reminders.refresh-interval=1m", "Property quark.reminders.refresh-interval with value "
                + "'PT1M' is invalid: must be shorter than the lookahead (PT30S)");
        assertInvalid("quark.reminders.max-batch=0", "Property quark.reminders.max-batch with value '0' is invalid: "
                + "must be positive");
        assertInvalid("quark.reminders.retry.max-attempts=-1", "Property quark.reminders.retry.max-attempts with value "
                + "'-1' is invalid: must be positive");
        assertInvalid("quark.reminders.retry.max-backoff=100ms", "Property quark.reminders.retry.max-backoff with value "
                + "'PT0.1S' is invalid: must not be shorter than the initial backoff (PT1S)");
        assertInvalid("quark.reminders.delivery-timeout=0s", "Property quark.reminders.delivery-timeout with value "
                + "'PT0S' is invalid: must be positive");
        assertInvalid("quark.reminders.full-read-interval=2h", "Property quark.reminders.full-read-interval with "
                + "value 'PT2H' is invalid: must be shorter than the retention of the tables' change entries (PT1H), or reads of "
                + "changes would keep falling behind the trimmed ones");
        assertInvalid("quark.reminders.max-payload-size=2MB", "Property quark.reminders.max-payload-size with value "
                + "'2097152B' is invalid: must be between 0 and 1048576B");
        assertInvalid("quark.reminders.lease-duration=50ms", "Property quark.reminders.lease-duration with value "
                + "'PT0.05S' is invalid: must be between 100ms and PT8760H");
        assertInvalid("quark.reminders.redis.reply-timeout=0s", "Property quark.reminders.redis.reply-timeout with "
                + "value 'PT0S' is invalid: must be positive");
        assertInvalid("quark.reminders.redis.reply-timeout=-1s", "Property quark.reminders.redis.reply-timeout with "
                + "value 'PT-1S' is invalid: must be positive");
        assertInvalid("quark.reminders.backend=mongo", "Property quark.reminders.backend with value 'mongo' is invalid: "
                + "must be one of memory, redis, postgres");
    }

    private void assertInvalid(String property, String message) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessage(message);
        });
    }

    @Test
    void propertiesDefaultToTheLibrarysDefaults() {
        QuarkRemindersProperties properties = new QuarkRemindersProperties();
        assertThat(properties.toSettings()).isEqualTo(ReminderSettings.DEFAULTS);
        assertThat(properties.maxPayloadBytes()).isEqualTo(ReminderRegistry.DEFAULT_MAX_PAYLOAD_SIZE);
        assertThat(properties.isEnabled()).isTrue();
        assertThat(properties.getBackend()).isNull();
        assertThat(properties.redisReplyTimeout()).isEqualTo(RedisReminderTable.DEFAULT_REPLY_TIMEOUT);
    }

    @Test
    void propertiesReachTheRegistryAndTheTickManager() {
        this.contextRunner.withPropertyValues("quark.reminders.max-payload-size=8B", "quark.reminders.lookahead=2m",
                "quark.reminders.refresh-interval=1m")
            .run((context) -> {
                Alarm alarm = context.getBean(ActorRefFactory.class).get(Alarm.class, "a");
                org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> alarm.ringIn("big", Duration.ofSeconds(1), "123456789"))
                    .withMessageContaining("is 9 bytes, more than the limit of 8 bytes");
                assertThat(context.getBean(QuarkRemindersProperties.class).toSettings().lookahead())
                    .isEqualTo(Duration.ofMinutes(2));
            });
    }

    @Test
    void disabledRemindersLeaveActorsWithoutThem() {
        this.contextRunner.withPropertyValues("quark.reminders.enabled=false").run((context) -> {
            assertThat(context).doesNotHaveBean(ReminderRegistry.class).doesNotHaveBean(ReminderTickManager.class);
            Alarm alarm = context.getBean(ActorRefFactory.class).get(Alarm.class, "a");
            org.assertj.core.api.Assertions.assertThatIllegalStateException()
                .isThrownBy(() -> alarm.ringIn("r", Duration.ofSeconds(1), ""))
                .withMessageContaining("this runtime has no reminder service");
        });
    }

    @Test
    void userBeansReplaceTheTableAndTheOwnership() {
        InMemoryReminderTable own = new InMemoryReminderTable();
        ReminderBucketOwnership half = () -> ReminderBucketSet.of(1, 2, 3);
        this.contextRunner.withBean(ReminderTable.class, () -> own)
            .withBean(ReminderBucketOwnership.class, () -> half)
            .run((context) -> {
                assertThat(context.getBean(ReminderTable.class)).isSameAs(own);
                assertThat(context.getBean(ReminderRegistry.class).table()).isSameAs(own);
                assertThat(context.getBean(ReminderTickManager.class).ownedBuckets()).isEqualTo(ReminderBucketSet.of(1, 2, 3));
            });
    }

    @Test
    void hintsCoverTheChangelogAndTheTickArgument() {
        RuntimeHints hints = new RuntimeHints();
        new QuarkRemindersRuntimeHints().registerHints(hints, getClass().getClassLoader());
        assertThat(RuntimeHintsPredicates.resource().forResource("db/changelog/quark/reminders.xml")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(dev.quark.actor.ReminderStatus.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(dev.quark.actor.ReminderSchedule.class)).accepts(hints);
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = AlarmActor.class)
    static class AlarmApplication {

        @Bean
        AlarmLog alarmLog() {
            return new AlarmLog();
        }

        @Bean
        ManualClock manualClock() {
            return new ManualClock();
        }

        @Bean
        ManualScheduler manualScheduler(ManualClock clock) {
            return new ManualScheduler(clock);
        }
    }
}
