package dev.quark.samples.bank;

import java.time.Duration;
import java.time.ZoneId;

import dev.quark.actor.ReminderSchedule;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The fee every account is charged monthly, by a reminder each account registers when it is opened.
 *
 * @param amount how much is charged each time; an account never goes below zero for it
 * @param cron when it is charged, a Spring cron expression: by default at midnight on the first of the month
 * @param zone the zone of the cron expression
 * @param period a fixed period that replaces the cron expression when set, so that a demo shows the fee in
 * seconds ({@code --bank.monthly-fee.period=5s})
 */
@ConfigurationProperties("bank.monthly-fee")
public record MonthlyFee(@DefaultValue("1") long amount, @DefaultValue("0 0 0 1 * *") String cron,
        @DefaultValue("UTC") ZoneId zone, @Nullable Duration period) {

    /** The name of the reminder. */
    public static final String REMINDER = "monthly-fee";

    /**
     * Returns when the fee is charged.
     * @return the period when one is set, otherwise the cron schedule
     */
    public ReminderSchedule schedule() {
        return (this.period != null) ? ReminderSchedule.every(this.period) : ReminderSchedule.cron(this.cron, this.zone);
    }
}
