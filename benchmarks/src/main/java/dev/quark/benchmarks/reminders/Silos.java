package dev.quark.benchmarks.reminders;

import java.time.Instant;

import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The silos a reminders measurement runs on: their runtimes and tick managers on one table. The reminders are
 * registered before the tick managers start, so that registrations measure the table alone.
 */
interface Silos extends AutoCloseable {

    /**
     * Returns the registry to register a reminder of an actor with: the one of the silo that fires its bucket, so
     * that the reminder is queued there at once.
     * @param actor the actor
     * @return the registry
     */
    ReminderRegistry registryFor(ActorAddress actor);

    /**
     * Starts firing: the tick managers read the table, and with three silos claim their buckets' leases first.
     * @throws InterruptedException when interrupted while waiting for the leases
     */
    void start() throws InterruptedException;

    /**
     * Returns the sum of the tick managers' counters.
     * @return the counters, summed
     */
    ReminderTickManager.Stats stats();

    /**
     * Stops the tick managers (waiting for their last writes), then the runtimes.
     */
    @Override
    void close();

    /** Sums the counters of several tick managers; the last loss of fencing tokens is the latest of theirs. */
    static ReminderTickManager.Stats sum(Iterable<ReminderTickManager> managers) {
        long delivered = 0;
        long failed = 0;
        long undelivered = 0;
        long abandoned = 0;
        long skipped = 0;
        long missed = 0;
        int waiting = 0;
        int running = 0;
        int pending = 0;
        int owned = 0;
        long tokensLost = 0;
        @Nullable Instant lastTokensLoss = null;
        for (ReminderTickManager manager : managers) {
            ReminderTickManager.Stats stats = manager.stats();
            delivered += stats.delivered();
            failed += stats.failed();
            undelivered += stats.undelivered();
            abandoned += stats.abandoned();
            skipped += stats.skipped();
            missed += stats.missed();
            waiting += stats.waiting();
            running += stats.running();
            pending += stats.pendingWrites();
            owned += stats.ownedBuckets();
            tokensLost += stats.fencingTokensLost();
            Instant loss = stats.lastFencingTokensLoss();
            if (loss != null && (lastTokensLoss == null || loss.isAfter(lastTokensLoss))) {
                lastTokensLoss = loss;
            }
        }
        return new ReminderTickManager.Stats(delivered, failed, undelivered, abandoned, skipped, missed, waiting, running,
                pending, owned, tokensLost, lastTokensLoss);
    }
}
