package dev.quark.jobs;

import java.time.Instant;
import java.util.Objects;

/**
 * A recurring job as stored: each of its scheduled instants enqueues one job of its type with its payload, once
 * across all nodes.
 *
 * @param id its id, chosen by the application, unique among recurring jobs
 * @param type the type of the jobs it enqueues
 * @param payload their payload, as JSON
 * @param schedule when it runs
 * @param misfirePolicy what it does about instants missed during downtime
 * @param nextRunAt the next scheduled instant, not yet enqueued
 */
public record RecurringJob(String id, String type, String payload, Schedule schedule, MisfirePolicy misfirePolicy,
        Instant nextRunAt) {

    /**
     * Validates the job.
     */
    public RecurringJob {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(schedule, "schedule must not be null");
        Objects.requireNonNull(misfirePolicy, "misfirePolicy must not be null");
        Objects.requireNonNull(nextRunAt, "nextRunAt must not be null");
    }

    /**
     * Returns whether another recurring job has the same definition: type, payload, schedule and misfire policy
     * (its next run aside).
     * @param other the other job
     * @return whether they are defined alike
     */
    public boolean sameDefinition(RecurringJob other) {
        return this.id.equals(other.id) && this.type.equals(other.type) && this.payload.equals(other.payload)
                && this.schedule.text().equals(other.schedule.text()) && this.misfirePolicy == other.misfirePolicy;
    }
}
