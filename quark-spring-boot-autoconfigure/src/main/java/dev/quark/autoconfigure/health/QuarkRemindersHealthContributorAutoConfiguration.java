package dev.quark.autoconfigure.health;

import java.time.Clock;

import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.reminder.ReminderTickManager;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code quarkReminders} health contributor: whether the reminder table answers, the
 * backlog of this silo's overdue reminders, and the buckets it found with a lease store that lost its fencing tokens.
 */
@AutoConfiguration(after = QuarkRemindersAutoConfiguration.class)
@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(ReminderTickManager.class)
@ConditionalOnEnabledHealthIndicator("quark-reminders")
public final class QuarkRemindersHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "quarkRemindersHealthIndicator")
    ReminderTickManagerHealthIndicator quarkRemindersHealthIndicator(ReminderTickManager manager,
            ObjectProvider<Clock> clock) {
        return new ReminderTickManagerHealthIndicator(manager, clock.getIfUnique(Clock::systemUTC));
    }
}
