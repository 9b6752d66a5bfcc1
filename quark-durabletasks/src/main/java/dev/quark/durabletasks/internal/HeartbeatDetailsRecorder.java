package dev.quark.durabletasks.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

import dev.quark.durabletasks.PayloadConversionException;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.DurableTaskStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress details one activity attempt records with its heartbeats. Heartbeats are meant to be cheap (one per
 * iteration of a long loop), so the newest details are written to the store at most once per throttle interval and
 * kept in memory meanwhile; an attempt that ends in a retry writes what is still pending, so the next attempt starts
 * from the newest details. Pending details are written by the next heartbeat past the interval: a worker that dies
 * loses the details given since the last write.
 */
final class HeartbeatDetailsRecorder {

    private static final Logger logger = LoggerFactory.getLogger(HeartbeatDetailsRecorder.class);

    /** The longest interval between two writes. */
    static final Duration MAX_THROTTLE = Duration.ofSeconds(30);

    private final DurableTaskStore store;

    private final ActivityWorkItem item;

    private final PayloadConverter converter;

    private final Clock clock;

    private final Duration throttle;

    /** Not a monitor: a write under it blocks on the store, which would pin a virtual thread on Java 21. */
    private final ReentrantLock lock = new ReentrantLock();

    private @Nullable String latest;

    private @Nullable String written;

    private @Nullable Instant lastWrite;

    HeartbeatDetailsRecorder(DurableTaskStore store, ActivityWorkItem item, PayloadConverter converter, Clock clock,
            @Nullable Duration heartbeatTimeout) {
        this.store = store;
        this.item = item;
        this.converter = converter;
        this.clock = clock;
        this.throttle = throttle(heartbeatTimeout);
        this.written = item.heartbeatDetails();
    }

    /**
     * Returns how often details are written: 80 % of the heartbeat timeout, so that a write lands before a missed
     * heartbeat would retry the call, and at most {@link #MAX_THROTTLE}.
     */
    static Duration throttle(@Nullable Duration heartbeatTimeout) {
        if (heartbeatTimeout == null) {
            return MAX_THROTTLE;
        }
        Duration share = heartbeatTimeout.multipliedBy(4).dividedBy(5);
        return (share.compareTo(MAX_THROTTLE) < 0) ? share : MAX_THROTTLE;
    }

    /**
     * Takes the details of a heartbeat; writes them when the throttle interval has passed since the last write.
     * @throws PayloadConversionException when the converter cannot write them
     */
    void record(@Nullable Object details) {
        String json;
        try {
            json = Objects.requireNonNullElse(this.converter.write(details), "null");
        }
        catch (RuntimeException ex) {
            throw new PayloadConversionException("the heartbeat details of activity '" + this.item.name() + "'",
                    (details != null) ? details.getClass() : Object.class, ex);
        }
        this.lock.lock();
        try {
            this.latest = json;
            Instant now = this.clock.instant();
            Instant last = this.lastWrite;
            if (last == null || !now.isBefore(last.plus(this.throttle))) {
                write(now);
            }
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Writes the newest details if they are not written yet.
     */
    void flush() {
        this.lock.lock();
        try {
            write(this.clock.instant());
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Returns the newest details: this attempt's, or else those an earlier attempt recorded.
     */
    @Nullable String last() {
        this.lock.lock();
        try {
            return (this.latest != null) ? this.latest : this.item.heartbeatDetails();
        }
        finally {
            this.lock.unlock();
        }
    }

    private void write(Instant now) {
        String details = this.latest;
        if (details == null || details.equals(this.written)) {
            return;
        }
        try {
            if (!this.store.recordHeartbeat(this.item.id(), this.item.token(), details)) {
                logger.debug("Heartbeat details of activity '{}' for instance '{}' not recorded: the call is no "
                        + "longer this attempt's", this.item.name(), this.item.instanceId());
            }
            this.written = details;
            this.lastWrite = now;
        }
        catch (RuntimeException ex) {
            logger.warn("Could not record the heartbeat details of activity '{}' for instance '{}'; trying again at "
                    + "the next heartbeat", this.item.name(), this.item.instanceId(), ex);
        }
    }
}
