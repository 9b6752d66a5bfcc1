package dev.quark.samples.jobs;

import java.time.Duration;
import java.time.ZoneId;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long reports take and when old ones are cleaned up.
 *
 * @param renderTime how long generating one report takes, spread over its four parts (a stand-in for real work;
 * the process tests make it long enough to kill a node in the middle)
 * @param cleanup the recurring clean-up of old reports
 */
@ConfigurationProperties("reports")
public record ReportProperties(@DefaultValue("2s") Duration renderTime, @DefaultValue Cleanup cleanup) {

    /**
     * Validates the properties.
     * @throws IllegalArgumentException naming the bad value
     */
    public ReportProperties {
        if (renderTime.isNegative()) {
            throw new IllegalArgumentException("reports.render-time must not be negative, was " + renderTime);
        }
    }

    /**
     * The recurring clean-up: on a cron schedule in a time zone, or every interval when one is set (to see it run
     * in seconds).
     *
     * @param cron when it runs (six fields: second minute hour day-of-month month day-of-week)
     * @param zone the time zone of the cron expression
     * @param every when set, it runs every this long instead
     * @param maxAge reports published longer ago than this are deleted
     */
    public record Cleanup(@DefaultValue("0 0 2 * * *") String cron, @DefaultValue("Europe/Paris") ZoneId zone,
            @Nullable Duration every, @DefaultValue("7d") Duration maxAge) {

        /**
         * Validates the clean-up properties.
         * @throws IllegalArgumentException naming the bad value
         */
        public Cleanup {
            if (every != null && (every.isNegative() || every.isZero())) {
                throw new IllegalArgumentException("reports.cleanup.every must be positive, was " + every);
            }
            if (maxAge.isNegative()) {
                throw new IllegalArgumentException("reports.cleanup.max-age must not be negative, was " + maxAge);
            }
        }
    }
}
