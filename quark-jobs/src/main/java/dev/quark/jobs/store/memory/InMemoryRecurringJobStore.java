package dev.quark.jobs.store.memory;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

import dev.quark.jobs.JobId;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.RecurringJobStore;
import org.jspecify.annotations.Nullable;

/**
 * Keeps recurring jobs in a map in the JVM: for one process, for tests. Every call holds the store's lock, so that a
 * save, an advance and a fire are atomic (a concurrent map's {@code compute} may apply its function more than once);
 * a fire enqueues into the given job store while holding it.
 */
public final class InMemoryRecurringJobStore implements RecurringJobStore {

    private final TreeMap<String, RecurringJob> jobs = new TreeMap<>();

    private final JobStore jobStore;

    /**
     * Creates a store.
     * @param jobStore where the recurring jobs' jobs are enqueued, usually an {@link InMemoryJobStore}
     */
    public InMemoryRecurringJobStore(JobStore jobStore) {
        this.jobStore = Objects.requireNonNull(jobStore, "jobStore must not be null");
    }

    @Override
    public synchronized RecurringJob save(RecurringJob job) {
        Objects.requireNonNull(job, "job must not be null");
        RecurringJob stored = this.jobs.get(job.id());
        if (stored != null && stored.sameDefinition(job)) {
            return stored;
        }
        RecurringJob saved = (stored != null) ? job.moved(job.nextRunAt(), stored.lastJobId()) : job;
        this.jobs.put(job.id(), saved);
        return saved;
    }

    @Override
    public synchronized boolean deleteDeclared(String id) {
        RecurringJob stored = this.jobs.get(Objects.requireNonNull(id, "id must not be null"));
        if (stored == null || stored.origin() != RecurringJob.Origin.DECLARED) {
            return false;
        }
        this.jobs.remove(id);
        return true;
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
        this.jobs.put(id, stored.moved(next, stored.lastJobId()));
        return true;
    }

    @Override
    public synchronized Optional<Enqueued> fire(String id, Instant expected, @Nullable JobId expectedLast, Instant next,
            NewJob job) {
        Objects.requireNonNull(expected, "expected must not be null");
        Objects.requireNonNull(next, "next must not be null");
        Objects.requireNonNull(job, "job must not be null");
        RecurringJob stored = this.jobs.get(Objects.requireNonNull(id, "id must not be null"));
        if (stored == null || !stored.nextRunAt().equals(expected) || !Objects.equals(stored.lastJobId(), expectedLast)) {
            return Optional.empty();
        }
        Enqueued enqueued = this.jobStore.enqueue(job);
        this.jobs.put(id, stored.moved(next, enqueued.job().id()));
        return Optional.of(enqueued);
    }

    @Override
    public synchronized String toString() {
        return "InMemoryRecurringJobStore[" + this.jobs.size() + " jobs]";
    }
}
