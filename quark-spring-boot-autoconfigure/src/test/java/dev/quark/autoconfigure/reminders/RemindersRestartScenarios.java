package dev.quark.autoconfigure.reminders;

import java.time.Duration;
import java.time.Instant;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.fixtures.alarm.Alarm;
import dev.quark.autoconfigure.fixtures.alarm.AlarmActor;
import dev.quark.autoconfigure.fixtures.alarm.AlarmLog;
import dev.quark.reminder.ReminderTable;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an application sees of reminders on a real backend: they fire after a restart of the application, a
 * one-shot reminder missed while it was down fires once with its missed instant, and the health contributor
 * reads the table. Each application run is a new context on the same table, in virtual time shared by the runs.
 */
abstract class RemindersRestartScenarios {

    private static final Instant START = ManualClock.DEFAULT_START;

    private static ManualClock clock;

    private static AlarmLog log;

    /**
     * Returns the runner of one application run on the backend under test, with {@link AlarmApplication}.
     */
    abstract ApplicationContextRunner contextRunner();

    /**
     * Returns the class of the table the backend should give.
     */
    abstract Class<? extends ReminderTable> tableType();

    @Test
    void aReminderKeepsFiringAcrossARestartOfTheApplication() {
        clock = new ManualClock();
        log = new AlarmLog();
        String id = "restart-" + System.nanoTime();
        contextRunner().run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ReminderTable.class)).isInstanceOf(tableType());
            context.getBean(ActorRefFactory.class).get(Alarm.class, id).ringEvery("beat", Duration.ofMinutes(1));
            context.getBean(ManualScheduler.class).advance(Duration.ofMinutes(1));
        });
        contextRunner().run((context) -> {
            context.getBean(ManualScheduler.class).advance(Duration.ofMinutes(1));
            Health health = context.getBean("quarkRemindersHealthIndicator", HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("backlog", 0L);
            assertThat(context.getBean(ActorRefFactory.class).get(Alarm.class, id).reminderCount()).isEqualTo(1);
        });
        assertThat(log.rings()).containsExactly(id + "/beat@" + START.plus(Duration.ofMinutes(1)) + ":",
                id + "/beat@" + START.plus(Duration.ofMinutes(2)) + ":");
    }

    @Test
    void aOneShotMissedWhileTheApplicationWasDownFiresOnceWithItsMissedInstant() {
        clock = new ManualClock();
        log = new AlarmLog();
        String id = "down-" + System.nanoTime();
        contextRunner().run((context) -> context.getBean(ActorRefFactory.class)
            .get(Alarm.class, id)
            .ringIn("call-back", Duration.ofSeconds(30), "later"));
        clock.advance(Duration.ofHours(1));
        contextRunner().run((context) -> {
            context.getBean(ManualScheduler.class).advance(Duration.ofMinutes(5));
            assertThat(log.rings()).containsExactly(id + "/call-back@" + START.plusSeconds(30) + ":later");
            assertThat(context.getBean(ActorRefFactory.class).get(Alarm.class, id).reminderCount()).isZero();
        });
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = AlarmActor.class)
    static class AlarmApplication {

        @Bean
        AlarmLog alarmLog() {
            return log;
        }

        @Bean
        ManualClock manualClock() {
            return clock;
        }

        @Bean
        ManualScheduler manualScheduler(ManualClock clock) {
            return new ManualScheduler(clock);
        }
    }
}
