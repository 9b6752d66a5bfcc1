package dev.quark.jobs.store.internal;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * Decides which jobs due later a notifying store tells the other nodes of
 * ({@link dev.quark.jobs.store.JobDueNotice#later}): per type, only one due before the earliest it told of that is
 * still ahead. A worker woken for a due time looks for the next one itself
 * ({@link dev.quark.jobs.store.JobStore#nextDueAfter}), so telling of the later ones as well would only cost
 * notifications: a batch of delayed jobs of one type is one notification, not one per job. A notice lost (its
 * transaction rolled back, or a node not listening) delays the jobs it stood for by at most the receivers' poll
 * interval, as before. Thread-safe; internal to the stores of this module.
 */
public final class LaterDueNotices {

    private final Map<String, Instant> told = new ConcurrentHashMap<>();

    /**
     * Returns whether to tell of a job due later, and if so remembers its due time.
     * @param type the job's type
     * @param dueAt when it becomes due
     * @param now the writer's clock
     * @return whether no notice of the type is ahead, or the job is due before it
     */
    public boolean tell(String type, Instant dueAt, Instant now) {
        Objects.requireNonNull(dueAt, "dueAt must not be null");
        boolean[] tell = new boolean[1];
        this.told.compute(type, (key, earliest) -> {
            tell[0] = wouldTell(earliest, dueAt, now);
            return tell[0] ? dueAt : earliest;
        });
        return tell[0];
    }

    /**
     * Returns whether to tell of a job due later, remembering nothing: for a write that may not send the notice (an
     * enqueue that finds its idempotency key taken), which calls {@link #told} once it did.
     * @param type the job's type
     * @param dueAt when it becomes due
     * @param now the writer's clock
     * @return whether no notice of the type is ahead, or the job is due before it
     */
    public boolean wouldTell(String type, Instant dueAt, Instant now) {
        Objects.requireNonNull(dueAt, "dueAt must not be null");
        return wouldTell(this.told.get(type), dueAt, now);
    }

    /**
     * Remembers a notice sent of a job due later, unless an earlier one of the type is ahead.
     * @param type the job's type
     * @param dueAt when it becomes due
     * @param now the writer's clock
     */
    public void told(String type, Instant dueAt, Instant now) {
        Objects.requireNonNull(dueAt, "dueAt must not be null");
        this.told.compute(type, (key, earliest) -> wouldTell(earliest, dueAt, now) ? dueAt : earliest);
    }

    private static boolean wouldTell(@Nullable Instant earliest, Instant dueAt, Instant now) {
        return earliest == null || !earliest.isAfter(now) || dueAt.isBefore(earliest);
    }
}
