package dev.quark.jobs.store.memory;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.store.RecurringJobStore;

/**
 * Keeps recurring jobs in a map in the JVM: for one process, for tests.
 */
public final class InMemoryRecurringJobStore implements RecurringJobStore {

    private final ConcurrentSkipListMap<String, RecurringJob> jobs = new ConcurrentSkipListMap<>();

    @Override
    public RecurringJob save(RecurringJob job) {
        Objects.requireNonNull(job, "job must not be null");
        return this.jobs.compute(job.id(), (id, stored) -> (stored != null && stored.sameDefinition(job)) ? stored : job);
    }

    @Override
    public boolean delete(String id) {
        return this.jobs.remove(Objects.requireNonNull(id, "id must not be null")) != null;
    }

    @Override
    public Optional<RecurringJob> find(String id) {
        return Optional.ofNullable(this.jobs.get(Objects.requireNonNull(id, "id must not be null")));
    }

    @Override
    public List<RecurringJob> list() {
        return List.copyOf(this.jobs.values());
    }

    @Override
    public List<RecurringJob> due(Instant now, int limit) {
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
    public boolean advance(String id, Instant expected, Instant next) {
        Objects.requireNonNull(expected, "expected must not be null");
        Objects.requireNonNull(next, "next must not be null");
        boolean[] moved = new boolean[1];
        this.jobs.computeIfPresent(Objects.requireNonNull(id, "id must not be null"), (key, stored) -> {
            if (!stored.nextRunAt().equals(expected)) {
                return stored;
            }
            moved[0] = true;
            return new RecurringJob(stored.id(), stored.type(), stored.payload(), stored.schedule(),
                    stored.misfirePolicy(), next);
        });
        return moved[0];
    }

    @Override
    public String toString() {
        return "InMemoryRecurringJobStore[" + this.jobs.size() + " jobs]";
    }
}
