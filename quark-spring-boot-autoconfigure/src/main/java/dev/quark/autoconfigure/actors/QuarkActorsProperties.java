package dev.quark.autoconfigure.actors;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.InvalidSettingException;
import dev.quark.runtime.TurnScheduler;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.convert.DurationUnit;

/**
 * Configuration of the actor runtime. The defaults are written out, rather than taken from
 * {@link dev.quark.runtime.ActorRuntimeDefaults}, so that the configuration metadata shows them; a test checks
 * that they equal the runtime's.
 */
@ConfigurationProperties(QuarkActorsProperties.PREFIX)
public class QuarkActorsProperties implements InitializingBean {

    static final String PREFIX = "quark.actors";

    /**
     * How long an activation may receive no calls before it is deactivated.
     */
    private Duration idleTimeout = Duration.ofMinutes(15);

    /**
     * How often idle activations are looked for.
     */
    private Duration collectionInterval = Duration.ofMinutes(1);

    /**
     * Maximum number of messages waiting in one activation's mailbox.
     */
    private int mailboxCapacity = 1000;

    /**
     * How long a caller waits for room in a full mailbox before the call fails with
     * MailboxFullException. Zero fails at once.
     */
    private Duration mailboxFullTimeout = Duration.ofSeconds(10);

    /**
     * How long a caller waits for the result of a call before it fails with ActorCallTimeoutException.
     */
    private Duration callTimeout = Duration.ofSeconds(30);

    /**
     * How long a platform thread (a servlet thread without spring.threads.virtual.enabled, say) that makes a blocking
     * call spins for the answer before it parks, sparing itself a kernel wake-up when the answer comes within it. At
     * most half the processors spin at once, a method whose answer missed the spin is spun for ever more rarely, and
     * virtual threads never spin. A number without a unit is in microseconds. Zero turns it off; at most 1ms.
     */
    @DurationUnit(ChronoUnit.MICROS)
    private Duration platformCallerSpin = Duration.ofNanos(20_000);

    /**
     * How long shutdown waits for running turns and deactivations to finish.
     */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    /**
     * How turns are run: virtual-threads, a virtual thread per busy period of an activation; or ready-queue, a
     * queue of ready activations served by a few long-lived virtual threads that start more when turns block.
     */
    private TurnScheduler turnScheduler = TurnScheduler.VIRTUAL_THREADS;

    private final ReadyQueue readyQueue = new ReadyQueue();

    // Shedding: idle activations deactivated before the idle timeout over a count or heap limit.

    /**
     * How many activations the silo should hold at most. Past it, the least recently used idle activations are
     * deactivated before their idle timeout until 90% of it remain. Not a hard limit: calls are never
     * refused and busy activations are not deactivated. No limit when not set.
     */
    private @Nullable Integer maxActivations;

    /**
     * How often the activation count and, with memory pressure enabled, the heap are checked against their
     * limits.
     */
    private Duration sheddingCheckInterval = Duration.ofSeconds(1);

    private final MemoryPressure memoryPressure = new MemoryPressure();

    public Duration getIdleTimeout() {
        return this.idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    public Duration getCollectionInterval() {
        return this.collectionInterval;
    }

    public void setCollectionInterval(Duration collectionInterval) {
        this.collectionInterval = collectionInterval;
    }

    public int getMailboxCapacity() {
        return this.mailboxCapacity;
    }

    public void setMailboxCapacity(int mailboxCapacity) {
        this.mailboxCapacity = mailboxCapacity;
    }

    public Duration getMailboxFullTimeout() {
        return this.mailboxFullTimeout;
    }

    public void setMailboxFullTimeout(Duration mailboxFullTimeout) {
        this.mailboxFullTimeout = mailboxFullTimeout;
    }

    public Duration getCallTimeout() {
        return this.callTimeout;
    }

    public void setCallTimeout(Duration callTimeout) {
        this.callTimeout = callTimeout;
    }

    public Duration getPlatformCallerSpin() {
        return this.platformCallerSpin;
    }

    public void setPlatformCallerSpin(Duration platformCallerSpin) {
        this.platformCallerSpin = platformCallerSpin;
    }

    public Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public TurnScheduler getTurnScheduler() {
        return this.turnScheduler;
    }

    public void setTurnScheduler(TurnScheduler turnScheduler) {
        this.turnScheduler = turnScheduler;
    }

    public @Nullable Integer getMaxActivations() {
        return this.maxActivations;
    }

    public void setMaxActivations(@Nullable Integer maxActivations) {
        this.maxActivations = maxActivations;
    }

    public Duration getSheddingCheckInterval() {
        return this.sheddingCheckInterval;
    }

    public void setSheddingCheckInterval(Duration sheddingCheckInterval) {
        this.sheddingCheckInterval = sheddingCheckInterval;
    }

    public ReadyQueue getReadyQueue() {
        return this.readyQueue;
    }

    public MemoryPressure getMemoryPressure() {
        return this.memoryPressure;
    }

    /**
     * The ready-queue turn scheduler (turn-scheduler=ready-queue).
     */
    public static class ReadyQueue {

        /**
         * How many runner threads it may have, blocked ones included. Once that many wait (synchronous calls to
         * other actors, JDBC), further turns wait for one to free and a WARN is logged (at most one a minute).
         */
        private int maxRunners = 32768;

        public int getMaxRunners() {
            return this.maxRunners;
        }

        public void setMaxRunners(int maxRunners) {
            this.maxRunners = maxRunners;
        }
    }

    /**
     * Shedding of idle activations when the heap in use after garbage collection passes a limit.
     */
    public static class MemoryPressure {

        /**
         * Whether to deactivate the least recently used idle activations before their idle timeout when the
         * heap in use after the last garbage collection exceeds limit-percent of the maximum heap.
         */
        private boolean enabled;

        /**
         * Percentage of the maximum heap, in use after the last garbage collection, past which shedding
         * starts. 1 to 99, above target-percent.
         */
        private int limitPercent = 80;

        /**
         * Percentage of the maximum heap that shedding brings the heap in use back to before it stops. 1 to
         * 99, below limit-percent.
         */
        private int targetPercent = 75;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getLimitPercent() {
            return this.limitPercent;
        }

        public void setLimitPercent(int limitPercent) {
            this.limitPercent = limitPercent;
        }

        public int getTargetPercent() {
            return this.targetPercent;
        }

        public void setTargetPercent(int targetPercent) {
            this.targetPercent = targetPercent;
        }
    }

    /**
     * Rejects values the runtime cannot work with; the failure names the property and its value. The rules are
     * the {@link ActorRuntime.Builder}'s own: the values are applied to a builder that is then dropped.
     * @throws InvalidConfigurationPropertyValueException for the first invalid property
     */
    @Override
    public void afterPropertiesSet() {
        ActorRuntime.Builder builder = ActorRuntime.builder();
        check("idle-timeout", this.idleTimeout, builder::idleTimeout);
        check("collection-interval", this.collectionInterval, builder::collectionInterval);
        check("call-timeout", this.callTimeout, builder::callTimeout);
        check("platform-caller-spin", this.platformCallerSpin, builder::platformCallerSpin);
        check("shutdown-timeout", this.shutdownTimeout, builder::shutdownTimeout);
        check("mailbox-full-timeout", this.mailboxFullTimeout, builder::mailboxFullTimeout);
        check("mailbox-capacity", this.mailboxCapacity, builder::mailboxCapacity);
        check("ready-queue.max-runners", this.readyQueue.maxRunners, builder::readyQueueMaxRunners);
        if (this.maxActivations != null) {
            check("max-activations", this.maxActivations, builder::maxActivations);
        }
        check("shedding-check-interval", this.sheddingCheckInterval, builder::sheddingCheckInterval);
        int limit = this.memoryPressure.limitPercent;
        int target = this.memoryPressure.targetPercent;
        try {
            builder.memoryPressure(limit, target);
        }
        catch (InvalidSettingException ex) {
            // the builder names its two arguments "memoryPressure limitPercent" and "memoryPressure targetPercent"
            boolean ofLimit = ex.getSetting().endsWith("limitPercent");
            throw new InvalidConfigurationPropertyValueException(
                    PREFIX + ".memory-pressure." + (ofLimit ? "limit-percent" : "target-percent"), ofLimit ? limit : target,
                    ex.getReason());
        }
    }

    private static <T> void check(String property, T value, Consumer<T> setting) {
        try {
            setting.accept(value);
        }
        catch (InvalidSettingException ex) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + "." + property, value, ex.getReason());
        }
    }
}
