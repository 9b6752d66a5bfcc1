package dev.quark.runtime.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.DeactivationReason;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.HeapReading;
import dev.quark.runtime.RuntimeScheduler;
import dev.quark.runtime.SheddingTrigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deactivates the least recently used idle activations before their idle timeout when the silo holds more
 * activations than its maximum or the heap is under pressure, with hysteresis: shedding starts past a limit
 * and goes on until a lower target is reached (90% of the maximum count; the memory target percentage).
 * <p>
 * Nothing here runs on a call's path. A periodic check reads the activation count and, with memory pressure
 * on, the heap; below the limits that costs O(1). Only over a limit does a round walk the activations once,
 * keeping the k least recently used in a bounded heap (O(n log k), k the number to shed), and deactivate
 * those that are still idle: no turn running or waiting, not used since they were picked. Busy activations
 * are skipped; the next round tries again.
 * <p>
 * A memory round sheds the share of activations by which the heap exceeds the target, as if the heap were
 * all activations, then waits until its deactivations have ended and a garbage collection has measured the
 * heap again before it sheds more: the figure after collection does not move until a collection runs.
 * Shed activations end like idle ones, with {@link DeactivationReason#IDLE}: {@code onDeactivate} runs and
 * state is saved as on any deactivation.
 */
final class ActivationShedder {

    private static final Logger logger = LoggerFactory.getLogger(ActivationShedder.class);

    private static final Comparator<Candidate> NEWEST_FIRST = Comparator.comparingLong(Candidate::lastActiveMillis)
        .reversed();

    private final ActivationCatalog catalog;

    private final SheddingSettings settings;

    private final ActorMetrics metrics;

    /** Deactivations started by a round that have not ended yet; they still count in the catalog's size. */
    private final AtomicInteger pending = new AtomicInteger();

    // Guarded by this: the state of each trigger's shedding episode.

    private boolean overCount;

    private long shedForCount;

    private boolean overMemory;

    private long shedForMemory;

    private long collectionsAtLastMemoryRound = -1;

    ActivationShedder(ActivationCatalog catalog, SheddingSettings settings, ActorMetrics metrics) {
        this.catalog = catalog;
        this.settings = settings;
        this.metrics = metrics;
    }

    /**
     * Checks the limits every check interval on the runtime's scheduler, until the catalog closes. Does
     * nothing when no limit is set.
     */
    void scheduleChecks(RuntimeScheduler scheduler, Clock clock) {
        if (!this.settings.enabled()) {
            return;
        }
        scheduler.schedule(clock.instant().plus(this.settings.checkInterval()), () -> {
            if (this.catalog.isClosed()) {
                return CompletableFuture.completedFuture(0);
            }
            CompletableFuture<Integer> shed;
            try {
                shed = shed();
            }
            catch (RuntimeException ex) {
                logger.error("Activation shedding failed", ex);
                shed = CompletableFuture.completedFuture(0);
            }
            return shed.whenComplete((count, failure) -> {
                if (failure != null) {
                    logger.error("Activation shedding failed", failure);
                }
                scheduleChecks(scheduler, clock);
            });
        });
    }

    /**
     * Checks the limits and, over one, starts deactivating the least recently used idle activations.
     * @return a stage that completes with the number of activations shed once their deactivations have ended
     */
    CompletableFuture<Integer> shed() {
        if (!this.settings.enabled() || this.catalog.isClosed()) {
            return CompletableFuture.completedFuture(0);
        }
        List<Activation> victims;
        SheddingTrigger trigger;
        synchronized (this) {
            int live = this.catalog.size() - this.pending.get();
            int forCount = countQuota(live);
            int forMemory = memoryQuota(live);
            if (forCount == 0 && forMemory == 0) {
                return CompletableFuture.completedFuture(0);
            }
            trigger = (forMemory > forCount) ? SheddingTrigger.MEMORY_PRESSURE : SheddingTrigger.MAX_ACTIVATIONS;
            victims = claimLeastRecentlyUsed(Math.max(forCount, forMemory));
            if (trigger == SheddingTrigger.MEMORY_PRESSURE) {
                this.shedForMemory += victims.size();
            }
            else {
                this.shedForCount += victims.size();
            }
            this.pending.addAndGet(victims.size());
        }
        if (victims.isEmpty()) {
            logger.debug("Over a limit, but no activation is idle enough to shed");
            return CompletableFuture.completedFuture(0);
        }
        record(victims, trigger);
        List<CompletableFuture<Void>> done = new ArrayList<>(victims.size());
        for (Activation victim : victims) {
            done.add(CompletableFuture
                .runAsync(() -> victim.deactivate(DeactivationReason.IDLE), this.catalog.settings().turnExecutor())
                .whenComplete((ignored, failure) -> this.pending.decrementAndGet()));
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).thenApply((ignored) -> victims.size());
    }

    private int countQuota(int live) {
        int max = this.settings.maxActivations();
        if (max == 0) {
            return 0;
        }
        int floor = this.settings.activationFloor();
        if (!this.overCount) {
            if (live <= max) {
                return 0;
            }
            this.overCount = true;
            this.shedForCount = 0;
            logger.warn("{} activations exceed the maximum of {}; deactivating the least recently used idle "
                    + "activations until at most {} remain", live, max, floor);
        }
        else if (live <= floor) {
            this.overCount = false;
            logger.info("Activation count is back to {} (at most {}) after shedding {} idle activations", live,
                    floor, this.shedForCount);
            return 0;
        }
        return live - floor;
    }

    private int memoryQuota(int live) {
        if (!this.settings.memoryPressure()) {
            return 0;
        }
        HeapReading reading = this.settings.heapUsage().read();
        if (!reading.isKnown()) {
            return 0;
        }
        double percent = reading.percentUsed();
        int target = this.settings.memoryTargetPercent();
        if (!this.overMemory) {
            if (percent <= this.settings.memoryLimitPercent()) {
                return 0;
            }
            this.overMemory = true;
            this.shedForMemory = 0;
            logger.warn("Heap in use after the last collection is {}% of the maximum, over the limit of {}%; "
                    + "deactivating the least recently used idle activations until it is at most {}%",
                    Math.round(percent), this.settings.memoryLimitPercent(), target);
        }
        else if (percent <= target) {
            this.overMemory = false;
            logger.info("Heap in use after the last collection is back to {}% (at most {}%) after shedding {} idle "
                    + "activations", Math.round(percent), target, this.shedForMemory);
            return 0;
        }
        else if (reading.collections() == this.collectionsAtLastMemoryRound || this.pending.get() > 0) {
            return 0;
        }
        this.collectionsAtLastMemoryRound = reading.collections();
        return (int) Math.ceil(live * (percent - target) / percent);
    }

    /**
     * Picks the {@code quota} least recently used activations in one pass with a bounded heap whose top is
     * the newest of those kept, then claims them for deactivation oldest first. Activations that are busy, or
     * were used after they were picked, refuse the claim; deactivations still pending from the last round are
     * in the catalog too and refuse it, so the heap keeps room for them.
     */
    private List<Activation> claimLeastRecentlyUsed(int quota) {
        int size = quota + this.pending.get();
        PriorityQueue<Candidate> kept = new PriorityQueue<>(Math.min(size, 4096), NEWEST_FIRST);
        for (Activation activation : this.catalog.activations()) {
            long lastActive = activation.lastActiveMillis();
            if (kept.size() < size) {
                kept.add(new Candidate(lastActive, activation));
            }
            else if (lastActive < kept.element().lastActiveMillis()) {
                kept.poll();
                kept.add(new Candidate(lastActive, activation));
            }
        }
        Candidate[] oldestFirst = new Candidate[kept.size()];
        int slot = oldestFirst.length;
        for (Candidate newest = kept.poll(); newest != null; newest = kept.poll()) {
            oldestFirst[--slot] = newest;
        }
        List<Activation> claimed = new ArrayList<>(Math.min(quota, oldestFirst.length));
        for (int i = 0; i < oldestFirst.length && claimed.size() < quota; i++) {
            Candidate candidate = oldestFirst[i];
            if (candidate.activation().beginIdleDeactivation(candidate.lastActiveMillis())) {
                claimed.add(candidate.activation());
            }
        }
        return claimed;
    }

    private void record(List<Activation> victims, SheddingTrigger trigger) {
        Map<String, Integer> byType = new HashMap<>();
        for (Activation victim : victims) {
            byType.merge(victim.identity.type().name(), 1, Integer::sum);
        }
        byType.forEach((type, count) -> {
            try {
                this.metrics.activationsShed(type, trigger, count);
            }
            catch (RuntimeException ex) {
                logger.warn("Recording {} shed activations of {} failed", count, type, ex);
            }
        });
    }

    private record Candidate(long lastActiveMillis, Activation activation) {
    }
}
