package dev.quark.durabletasks;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * How an orchestration instance is scheduled. Immutable.
 *
 * @param instanceId the instance's id, {@code null} for a random one. Scheduling an id that exists, with the same
 * orchestration name, is idempotent: it changes nothing and returns the id, whatever the instance's status
 * @param startAt when the instance starts, {@code null} for now
 */
public record ScheduleOptions(@Nullable String instanceId, @Nullable Instant startAt) {

    /** A random id, starting now. */
    public static final ScheduleOptions DEFAULTS = new ScheduleOptions(null, null);

    /**
     * Returns options with an instance id.
     * @param instanceId the id
     * @return the options
     */
    public static ScheduleOptions instanceId(String instanceId) {
        return new ScheduleOptions(instanceId, null);
    }

    /**
     * Returns these options with a start instant.
     * @param startAt when the instance starts
     * @return the options
     */
    public ScheduleOptions withStartAt(Instant startAt) {
        return new ScheduleOptions(this.instanceId, startAt);
    }
}
