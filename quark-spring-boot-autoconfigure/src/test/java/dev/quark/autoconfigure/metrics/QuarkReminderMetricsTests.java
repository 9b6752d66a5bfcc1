package dev.quark.autoconfigure.metrics;

import java.time.Duration;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.fixtures.alarm.Alarm;
import dev.quark.autoconfigure.fixtures.alarm.AlarmActor;
import dev.quark.autoconfigure.fixtures.alarm.AlarmLog;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.reminder.ReminderMetrics;
import dev.quark.reminder.ReminderOutcome;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkReminderMetricsTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                QuarkMetricsAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class))
        .withUserConfiguration(AlarmApplication.class);

    @Test
    void ticksAreCountedByActorTypeAndOutcomeAndTheirLatenessTimed() {
        this.contextRunner.run((context) -> {
            assertThat(context.getBean(ReminderMetrics.class)).isInstanceOf(MicrometerReminderMetrics.class);
            context.getBean(ActorRefFactory.class).get(Alarm.class, "a").ringEvery("beat", Duration.ofSeconds(1));
            context.getBean(ManualScheduler.class).advance(Duration.ofSeconds(3));
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerReminderMetrics.FIRED).tags("type", "Alarm", "outcome", "delivered")
                .counter()
                .count()).isEqualTo(3);
            Timer lateness = registry.get(MicrometerReminderMetrics.LATENESS).tag("type", "Alarm").timer();
            assertThat(lateness.count()).isEqualTo(3);
            assertThat(lateness.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isZero();
        });
    }

    @Test
    void everyOutcomeHasItsTag() {
        this.contextRunner.run((context) -> {
            ReminderMetrics metrics = context.getBean(ReminderMetrics.class);
            for (ReminderOutcome outcome : ReminderOutcome.values()) {
                metrics.ticks("Alarm", outcome, 2);
            }
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            for (String outcome : new String[] { "delivered", "failed", "undelivered", "abandoned", "skipped", "missed" }) {
                assertThat(registry.get(MicrometerReminderMetrics.FIRED).tags("type", "Alarm", "outcome", outcome)
                    .counter()
                    .count()).as(outcome).isEqualTo(2);
            }
        });
    }

    @Test
    void bucketsWhoseLeaseStoreLostItsTokensAreCountedFromZero() {
        this.contextRunner.run((context) -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerReminderMetrics.TOKENS_LOST).counter().count())
                .as("registered before any incident, for an alert on its increase").isZero();
            context.getBean(ReminderMetrics.class).fencingTokensLost(3);
            assertThat(registry.get(MicrometerReminderMetrics.TOKENS_LOST).counter().count()).isEqualTo(3);
        });
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
