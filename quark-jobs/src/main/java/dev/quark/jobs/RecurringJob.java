package dev.quark.jobs;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A recurring job as stored: each of its scheduled instants enqueues one job of its type with its payload, once
 * across all nodes.
 *
 * @param id its id, chosen by the application, unique among recurring jobs
 * @param type the type of the jobs it enqueues
 * @param payload their payload, as JSON
 * @param schedule when it runs
 * @param misfirePolicy what it does about instants missed during downtime
 * @param overlapPolicy what it does when an instant comes while the previous occurrence's job still runs
 * @param origin whether it was declared in code (and is removed at start-up once no longer declared) or created at
 * run time
 * @param nextRunAt the next scheduled instant, not yet enqueued
 * @param lastJobId the job of its last occurrence enqueued, or {@code null} before the first
 */
public record RecurringJob(String id, String type, String payload, Schedule schedule, MisfirePolicy misfirePolicy,
        OverlapPolicy overlapPolicy, Origin origin, Instant nextRunAt, @Nullable JobId lastJobId) {

    /**
     * Validates the job.
     */
    public RecurringJob {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(schedule, "schedule must not be null");
        Objects.requireNonNull(misfirePolicy, "misfirePolicy must not be null");
        Objects.requireNonNull(overlapPolicy, "overlapPolicy must not be null");
        Objects.requireNonNull(origin, "origin must not be null");
        Objects.requireNonNull(nextRunAt, "nextRunAt must not be null");
    }

    /**
     * Creates a recurring job created at run time, with the default overlap policy ({@link OverlapPolicy#SKIP}) and
     * no occurrence yet.
     * @param id its id
     * @param type the type of the jobs it enqueues
     * @param payload their payload, as JSON
     * @param schedule when it runs
     * @param misfirePolicy what it does about instants missed during downtime
     * @param nextRunAt the next scheduled instant
     */
    public RecurringJob(String id, String type, String payload, Schedule schedule, MisfirePolicy misfirePolicy,
            Instant nextRunAt) {
        this(id, type, payload, schedule, misfirePolicy, OverlapPolicy.SKIP, Origin.DYNAMIC, nextRunAt, null);
    }

    /**
     * Returns whether another recurring job has the same definition: type, payload, schedule, misfire and overlap
     * policies and origin (its next run and last occurrence aside).
     * @param other the other job
     * @return whether they are defined alike
     */
    public boolean sameDefinition(RecurringJob other) {
        return this.id.equals(other.id) && this.type.equals(other.type) && this.payload.equals(other.payload)
                && this.schedule.text().equals(other.schedule.text()) && this.misfirePolicy == other.misfirePolicy
                && this.overlapPolicy == other.overlapPolicy && this.origin == other.origin;
    }

    /**
     * Returns this job moved on.
     * @param next its next instant
     * @param last the job of its last occurrence, or {@code null}
     * @return the job
     */
    public RecurringJob moved(Instant next, @Nullable JobId last) {
        return new RecurringJob(this.id, this.type, this.payload, this.schedule, this.misfirePolicy, this.overlapPolicy,
                this.origin, next, last);
    }

    /**
     * Where a recurring job comes from.
     */
    public enum Origin {

        /**
         * Declared in code ({@link Recurring} or a {@link RecurringJobRequest} bean): created and updated at start-up,
         * removed at start-up once no longer declared.
         */
        DECLARED,

        /** Created at run time through {@link JobQueue#scheduleRecurring}; stays until deleted. */
        DYNAMIC
    }
}
