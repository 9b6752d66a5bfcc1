package dev.quark.jobs.store.memory;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.store.RecurringJobStore;

/**
 * Keeps recurring jobs in a map in the JVM: for one process, for tests. Every call holds the store's lock, so that a
 * save and an advance are atomic (a concurrent map's {@code compute} may apply its function more than once).
 */
public final class InMemoryRecurringJobStore implements RecurringJobStore {

    private final TreeMap<String, RecurringJob> jobs = new TreeMap<>();

    @Override
    public synchronized RecurringJob save(RecurringJob job) {
        Objects.requireNonNull(job, "job must not be null");
        RecurringJob stored = this.jobs.get(job.id());
        if (stored != null && stored.sameDefinition(job)) {
            return stored;
        }
        this.jobs.put(job.id(), job);
        return job;
    }

    @Override
    public synchronized boolean delete(String id) {
        return this.jobs.remove(Objects.requireNonNull(id, "id must not be null")) != null;
    }

    @Override
    public synchronized Optional<RecurringJob> find(String id) {
        return Optional.ofNullable(this.jobs.get(Objects.requireNonNull(id, "id must not be null")));
    }

    @Override
    public synchronized List<RecurringJob> list() {
        return List.copyOf(this.jobs.values());
    }

    @Override
    public synchronized List<RecurringJob> due(Instant now, int limit) {
        Objects.requireNonNull(now, "now must not be null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        return this.jobs.values()
            .stream()
            .filter((job) -> !job.nextRunAt().isAfter(now))
            .sorted(Comparator.comparing(RecurringJob::nextRunAt).thenComparing(RecurringJob::id))
            .limit(limit)
            .toList();
    }

    @Override
    public synchronized boolean advance(String id, Instant expected, Instant next) {
        Objects.requireNonNull(expected, "expected must not be null");
        Objects.requireNonNull(next, "next must not be null");
        RecurringJob stored = this.jobs.get(Objects.requireNonNull(id, "id must not be null"));
        if (stored == null || !stored.nextRunAt().equals(expected)) {
            return false;
        }
        this.jobs.put(id, new RecurringJob(stored.id(), stored.type(), stored.payload(), stored.schedule(),
                stored.misfirePolicy(), next));
        return true;
    }

    @Override
    public synchronized String toString() {
        return "InMemoryRecurringJobStore[" + this.jobs.size() + " jobs]";
    }
}
