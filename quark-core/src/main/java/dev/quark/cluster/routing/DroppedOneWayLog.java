package dev.quark.cluster.routing;

import java.time.Duration;
import java.util.function.LongSupplier;

import org.slf4j.Logger;

/**
 * The log of one-way calls a silo dropped after their callers returned, bounded however many an application sends:
 * the first {@link #LOUD} at WARN, the others at DEBUG, counted at WARN at most once per summary interval. Its
 * uses: {@link ClusterRouter} logs the one-way calls this silo refused to send (beyond the bounds every silo
 * receives envelopes within, or larger than {@code max-message-size}), a refusal that comes from the application's
 * own calls (a call filter adding a blank metadata key to every call, say), so it repeats on every call; only those
 * whose caller is not told are logged, one-way calls routed again after their first silo could not be reached (a
 * refusal that comes before the call returns is thrown to its caller as a {@code CallRejectedException} and not
 * logged), and, in a log of its own, those of its own calls it could not deliver otherwise (not handed over and not
 * routed again, back-pressure, a deadline passed), whose callers are never told. {@link IncomingCalls} logs the one-way calls this silo passed on to their actor's owner and could neither
 * hand over nor route again, which repeats on every such call while the owner cannot be reached.
 */
final class DroppedOneWayLog {

    /** How many drops are logged at WARN before the others go to DEBUG. */
    static final int LOUD = 5;

    /** How often at most the drops logged at DEBUG are counted at WARN. */
    static final Duration SUMMARY_EVERY = Duration.ofMinutes(1);

    private final Logger logger;

    private final LongSupplier nanoTime;

    private final long summaryEveryNanos;

    /** What the dropped calls are, for the summary: "this silo refused to send", say. */
    private final String what;

    /** Guarded by this. */
    private int loud;

    /** Guarded by this: drops logged at DEBUG since the last summary. */
    private long quiet;

    /** Guarded by this. */
    private long lastSummary;

    /**
     * @param logger where to log
     * @param what what the dropped calls are, for the summary line ("Dropped 7 more one-way calls " + what)
     */
    DroppedOneWayLog(Logger logger, String what) {
        this(logger, what, System::nanoTime, SUMMARY_EVERY);
    }

    DroppedOneWayLog(Logger logger, String what, LongSupplier nanoTime, Duration summaryEvery) {
        this.logger = logger;
        this.what = what;
        this.nanoTime = nanoTime;
        this.summaryEveryNanos = summaryEvery.toNanos();
        this.lastSummary = nanoTime.getAsLong();
    }

    /**
     * Logs one one-way call dropped.
     * @param call the call, described
     * @param siloId the silo it was meant for
     * @param reason why it was not sent
     */
    synchronized void dropped(String call, String siloId, String reason) {
        if (this.loud < LOUD) {
            this.loud++;
            this.logger.warn("Dropped one-way {} to silo {}: {}{}", call, siloId, reason, (this.loud < LOUD) ? ""
                    : " (further one-way calls dropped are logged at DEBUG, counted at WARN every "
                            + (this.summaryEveryNanos / 1_000_000_000L) + " s)");
            return;
        }
        this.quiet++;
        this.logger.debug("Dropped one-way {} to silo {}: {}", call, siloId, reason);
        long now = this.nanoTime.getAsLong();
        if (now - this.lastSummary >= this.summaryEveryNanos) {
            this.logger.warn("Dropped {} more one-way calls {} (logged at DEBUG)", this.quiet, this.what);
            this.quiet = 0;
            this.lastSummary = now;
        }
    }
}
