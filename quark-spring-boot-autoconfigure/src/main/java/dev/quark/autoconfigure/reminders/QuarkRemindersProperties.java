package dev.quark.autoconfigure.reminders;

import java.time.Duration;
import java.util.Map;

import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.lease.LeaseStore;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.runtime.InvalidSettingException;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of persistent reminders. The defaults are written out, rather than taken from
 * {@link ReminderSettings#DEFAULTS}, so that the configuration metadata shows them; a test checks that they
 * equal the library's.
 */
@ConfigurationProperties(QuarkRemindersProperties.PREFIX)
public class QuarkRemindersProperties implements InitializingBean {

    static final String PREFIX = "quark.reminders";

    /** Each builder setting and the property it comes from, for error messages. */
    private static final Map<String, String> PROPERTIES = Map.ofEntries(Map.entry("lookahead", "lookahead"),
            Map.entry("refreshInterval", "refresh-interval"), Map.entry("loadLimit", "load-limit"),
            Map.entry("maxBatch", "max-batch"), Map.entry("maxAttempts", "retry.max-attempts"),
            Map.entry("initialBackoff", "retry.initial-backoff"), Map.entry("maxBackoff", "retry.max-backoff"),
            Map.entry("shutdownTimeout", "shutdown-timeout"), Map.entry("deliveryTimeout", "delivery-timeout"),
            Map.entry("maxRunning", "max-running"), Map.entry("fullReadInterval", "full-read-interval"));

    /**
     * Whether actors can register reminders and this silo fires them.
     */
    private boolean enabled = true;

    /**
     * Where reminders are kept: memory, redis or postgres. Defaults to quark.backend.
     */
    private @Nullable QuarkBackend backend;

    /**
     * How far ahead the silo reads due reminders into memory, where they fire at their instant.
     */
    private Duration lookahead = Duration.ofSeconds(30);

    /**
     * How often the silo reads the reminders due within the lookahead from the table. Shorter than the lookahead.
     * Reminders registered on this silo are queued at once; this bounds how late a reminder registered elsewhere,
     * or left by a stopped silo, is picked up.
     */
    private Duration refreshInterval = Duration.ofSeconds(10);

    /**
     * How often a refresh reads every reminder due within the lookahead. In between, on the memory, Redis and
     * PostgreSQL tables, a refresh reads only the reminders registered or removed since the last read and those that
     * newly fall within the lookahead; the full read corrects what those reads missed (a change by a node that does
     * not record changes, or made behind the table's back). One no longer than the refresh interval makes every
     * refresh a full read.
     */
    private Duration fullReadInterval = Duration.ofMinutes(5);

    /**
     * Maximum number of reminders one read of the table returns.
     */
    private int loadLimit = 10_000;

    /**
     * Maximum number of next ticks written to the table in one batch.
     */
    private int maxBatch = 500;

    /**
     * Largest payload a reminder may carry, at most 1MB.
     */
    private DataSize maxPayloadSize = DataSize.ofKilobytes(4);

    /**
     * How long stopping the silo waits for running ticks and for the writes of their next ticks.
     */
    private Duration shutdownTimeout = Duration.ofSeconds(10);

    /**
     * How long a tick's delivery may take before it counts as failed: a periodic or cron reminder goes on with its
     * next instant and the timed-out one is not tried again (the turn may still run); a one-shot reminder is tried
     * again after the backoff up to retry.max-attempts. Longer than the slowest receiveReminder.
     */
    private Duration deliveryTimeout = Duration.ofSeconds(30);

    /**
     * Maximum number of ticks this silo delivers at once; a tick that falls due while that many run waits for one of
     * them to end, keeping its scheduled instant.
     */
    private int maxRunning = 10_000;

    /**
     * How long a silo's lease on a reminder bucket lasts unless renewed (every third of it), with the cluster on.
     * Keep it no longer than the cluster's failure detection time: the buckets of a silo that dies are fired
     * again once both have passed.
     */
    private Duration leaseDuration = Duration.ofSeconds(10);

    private final Retry retry = new Retry();

    private final Redis redis = new Redis();

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(@Nullable QuarkBackend backend) {
        this.backend = backend;
    }

    public Duration getLookahead() {
        return this.lookahead;
    }

    public void setLookahead(Duration lookahead) {
        this.lookahead = lookahead;
    }

    public Duration getRefreshInterval() {
        return this.refreshInterval;
    }

    public void setRefreshInterval(Duration refreshInterval) {
        this.refreshInterval = refreshInterval;
    }

    public int getLoadLimit() {
        return this.loadLimit;
    }

    public void setLoadLimit(int loadLimit) {
        this.loadLimit = loadLimit;
    }

    public int getMaxBatch() {
        return this.maxBatch;
    }

    public void setMaxBatch(int maxBatch) {
        this.maxBatch = maxBatch;
    }

    public DataSize getMaxPayloadSize() {
        return this.maxPayloadSize;
    }

    public void setMaxPayloadSize(DataSize maxPayloadSize) {
        this.maxPayloadSize = maxPayloadSize;
    }

    public Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public Duration getDeliveryTimeout() {
        return this.deliveryTimeout;
    }

    public void setDeliveryTimeout(Duration deliveryTimeout) {
        this.deliveryTimeout = deliveryTimeout;
    }

    public Duration getFullReadInterval() {
        return this.fullReadInterval;
    }

    public void setFullReadInterval(Duration fullReadInterval) {
        this.fullReadInterval = fullReadInterval;
    }

    public int getMaxRunning() {
        return this.maxRunning;
    }

    public void setMaxRunning(int maxRunning) {
        this.maxRunning = maxRunning;
    }

    public Duration getLeaseDuration() {
        return this.leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
        this.leaseDuration = leaseDuration;
    }

    /**
     * Returns the duration of the bucket leases.
     * @return the duration
     * @throws InvalidConfigurationPropertyValueException naming the property when it is out of range
     */
    public Duration leaseDuration() {
        if (this.leaseDuration.compareTo(Duration.ofMillis(100)) < 0
                || this.leaseDuration.compareTo(LeaseStore.MAX_DURATION) > 0) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".lease-duration", this.leaseDuration,
                    "must be between 100ms and " + LeaseStore.MAX_DURATION);
        }
        return this.leaseDuration;
    }

    public Retry getRetry() {
        return this.retry;
    }

    public Redis getRedis() {
        return this.redis;
    }

    /**
     * Returns the Redis table's reply timeout, checked.
     * @return the timeout
     * @throws InvalidConfigurationPropertyValueException naming the property when it is not positive
     */
    public Duration redisReplyTimeout() {
        Duration timeout = this.redis.replyTimeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".redis.reply-timeout", timeout,
                    "must be positive");
        }
        return timeout;
    }

    /**
     * Returns the tick manager's settings.
     * @return the settings
     * @throws InvalidConfigurationPropertyValueException naming the property when one is wrong
     */
    public ReminderSettings toSettings() {
        try {
            return ReminderSettings.builder()
                .lookahead(this.lookahead)
                .refreshInterval(this.refreshInterval)
                .loadLimit(this.loadLimit)
                .maxBatch(this.maxBatch)
                .maxAttempts(this.retry.maxAttempts)
                .initialBackoff(this.retry.initialBackoff)
                .maxBackoff(this.retry.maxBackoff)
                .shutdownTimeout(this.shutdownTimeout)
                .deliveryTimeout(this.deliveryTimeout)
                .maxRunning(this.maxRunning)
                .fullReadInterval(this.fullReadInterval)
                .build();
        }
        catch (InvalidSettingException ex) {
            String property = PREFIX + "." + PROPERTIES.getOrDefault(ex.getSetting(), ex.getSetting());
            throw new InvalidConfigurationPropertyValueException(property, valueOf(ex.getSetting()), ex.getReason());
        }
    }

    /**
     * Returns the largest payload in bytes.
     * @return the size
     * @throws InvalidConfigurationPropertyValueException naming the property when it is out of range
     */
    public int maxPayloadBytes() {
        long bytes = this.maxPayloadSize.toBytes();
        if (bytes < 0 || bytes > ReminderRegistry.MAX_PAYLOAD_SIZE_LIMIT) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".max-payload-size", this.maxPayloadSize,
                    "must be between 0 and " + DataSize.ofBytes(ReminderRegistry.MAX_PAYLOAD_SIZE_LIMIT));
        }
        return (int) bytes;
    }

    /**
     * Validates the properties, so that a wrong value fails start-up naming the property.
     */
    @Override
    public void afterPropertiesSet() {
        toSettings();
        maxPayloadBytes();
        leaseDuration();
        redisReplyTimeout();
    }

    private Object valueOf(String setting) {
        return switch (setting) {
            case "lookahead" -> this.lookahead;
            case "refreshInterval" -> this.refreshInterval;
            case "loadLimit" -> this.loadLimit;
            case "maxBatch" -> this.maxBatch;
            case "maxAttempts" -> this.retry.maxAttempts;
            case "initialBackoff" -> this.retry.initialBackoff;
            case "maxBackoff" -> this.retry.maxBackoff;
            case "shutdownTimeout" -> this.shutdownTimeout;
            case "deliveryTimeout" -> this.deliveryTimeout;
            case "maxRunning" -> this.maxRunning;
            case "fullReadInterval" -> this.fullReadInterval;
            default -> setting;
        };
    }

    /**
     * Retries of one-shot reminders whose receiveReminder failed (a periodic reminder is not retried: its next tick
     * comes), and of ticks of any reminder that did not reach their actor (retried until delivered).
     */
    public static class Retry {

        /**
         * How many times a one-shot reminder's tick is delivered before the reminder is given up and removed.
         */
        private int maxAttempts = 5;

        /**
         * Wait before the first retry; doubled for each next one.
         */
        private Duration initialBackoff = Duration.ofSeconds(1);

        /**
         * Longest wait between two retries.
         */
        private Duration maxBackoff = Duration.ofMinutes(1);

        public int getMaxAttempts() {
            return this.maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getInitialBackoff() {
            return this.initialBackoff;
        }

        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public Duration getMaxBackoff() {
            return this.maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }
    }

    /**
     * Settings of the Redis reminder table ({@code quark.reminders.backend=redis}).
     */
    public static class Redis {

        /**
         * How long a batch of the table's reads or writes waits for Redis's replies before it fails (the tick manager
         * tries it again). Holds with Lettuce even when its command timeout is off; with Jedis the client's own
         * timeouts apply.
         */
        private Duration replyTimeout = Duration.ofSeconds(60);

        public Duration getReplyTimeout() {
            return this.replyTimeout;
        }

        public void setReplyTimeout(Duration replyTimeout) {
            this.replyTimeout = replyTimeout;
        }
    }
}
