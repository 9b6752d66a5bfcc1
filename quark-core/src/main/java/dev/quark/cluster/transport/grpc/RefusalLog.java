package dev.quark.cluster.transport.grpc;

import java.time.Duration;
import java.util.function.LongSupplier;

import org.slf4j.Logger;

/**
 * The log of one {@code Link} stream's refusals, bounded however many frames a peer gets refused: the first
 * {@link #LOUD} at WARN, the others at DEBUG, with a WARN line counting those at most once per summary interval
 * and once more when the stream ends. A peer sending nothing but garbage thus costs a few lines a minute, not one
 * per frame.
 */
final class RefusalLog {

    /** How many refusals of a stream are logged at WARN before the others go to DEBUG. */
    static final int LOUD = 5;

    /** How often at most a stream's refusals logged at DEBUG are counted at WARN. */
    static final Duration SUMMARY_EVERY = Duration.ofMinutes(1);

    private final Logger logger;

    private final LongSupplier nanoTime;

    private final long summaryEveryNanos;

    /** Guarded by this. */
    private int loud;

    /** Guarded by this: refusals logged at DEBUG since the last summary. */
    private long quiet;

    /** Guarded by this. */
    private long lastSummary;

    RefusalLog(Logger logger) {
        this(logger, System::nanoTime, SUMMARY_EVERY);
    }

    RefusalLog(Logger logger, LongSupplier nanoTime, Duration summaryEvery) {
        this.logger = logger;
        this.nanoTime = nanoTime;
        this.summaryEveryNanos = summaryEvery.toNanos();
        this.lastSummary = nanoTime.getAsLong();
    }

    /**
     * Logs one refusal. What to log is decided under the lock and logged after it, so that a thread waiting for the
     * lock ({@link #ended} on gRPC's callback thread) never waits for a write of the log.
     * @param peer the silo the stream's handshake named, made safe to log
     * @param messageId the refused envelope's id, 0 for a frame that is not an envelope
     * @param reason why, made safe to log
     */
    void refused(String peer, long messageId, String reason) {
        int loudBefore;
        long summarized = 0;
        synchronized (this) {
            loudBefore = this.loud;
            if (loudBefore < LOUD) {
                this.loud++;
            }
            else {
                this.quiet++;
                long now = this.nanoTime.getAsLong();
                if (now - this.lastSummary >= this.summaryEveryNanos) {
                    summarized = takeQuiet(now);
                }
            }
        }
        if (loudBefore < LOUD - 1) {
            this.logger.warn("Silo refused an envelope #{} from silo {}: {}", messageId, peer, reason);
        }
        else if (loudBefore == LOUD - 1) {
            this.logger.warn("Silo refused an envelope #{} from silo {}: {} (this stream's further refusals are "
                    + "logged at DEBUG, counted at WARN every {} s)", messageId, peer, reason,
                    this.summaryEveryNanos / 1_000_000_000L);
        }
        else {
            this.logger.debug("Silo refused an envelope #{} from silo {}: {}", messageId, peer, reason);
        }
        summarize(peer, summarized);
    }

    /**
     * Counts at WARN the refusals logged at DEBUG since the last summary, if any; called when the stream ends.
     * @param peer the silo the stream's handshake named, made safe to log
     */
    void ended(String peer) {
        long summarized;
        synchronized (this) {
            summarized = takeQuiet(this.nanoTime.getAsLong());
        }
        summarize(peer, summarized);
    }

    /** Takes the count of refusals logged at DEBUG since the last summary. Called with the lock held. */
    private long takeQuiet(long now) {
        long quiet = this.quiet;
        if (quiet > 0) {
            this.quiet = 0;
            this.lastSummary = now;
        }
        return quiet;
    }

    private void summarize(String peer, long quiet) {
        if (quiet > 0) {
            this.logger.warn("Silo refused {} more envelopes from silo {} (logged at DEBUG)", quiet, peer);
        }
    }
}
