package dev.quark.durabletasks;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How an orchestration instance is scheduled. Immutable.
 *
 * @param instanceId the instance's id, {@code null} for a random one
 * @param startAt when the instance starts, {@code null} for now
 * @param idReusePolicy what scheduling an id that an instance has already does; by default
 * ({@link InstanceIdReusePolicy#IDEMPOTENT}) scheduling it again for the same orchestration changes nothing and
 * returns the id, whatever the instance's status
 */
public record ScheduleOptions(@Nullable String instanceId, @Nullable Instant startAt,
        InstanceIdReusePolicy idReusePolicy) {

    /** A random id, starting now. */
    public static final ScheduleOptions DEFAULTS = new ScheduleOptions(null, null);

    /**
     * How long scheduling with {@link InstanceIdReusePolicy#TERMINATE_IF_RUNNING} waits for the termination of the
     * instance that has the id.
     */
    public static final Duration TERMINATION_WAIT = Duration.ofSeconds(30);

    /**
     * The latest instant an instance may start at, the end of the year 9999: what every store can keep.
     */
    public static final Instant LATEST_START_AT = OrchestrationContext.LATEST_FIRE_AT;

    /**
     * Validates the options.
     * @throws IllegalArgumentException naming the start instant when it is after {@link #LATEST_START_AT}
     */
    public ScheduleOptions {
        Objects.requireNonNull(idReusePolicy, "idReusePolicy must not be null");
        if (startAt != null && startAt.isAfter(LATEST_START_AT)) {
            throw new IllegalArgumentException("An orchestration instance cannot start at " + startAt
                    + ": instances start at " + LATEST_START_AT + " at the latest");
        }
    }

    /**
     * Creates options with the default id reuse policy.
     * @param instanceId the instance's id, {@code null} for a random one
     * @param startAt when the instance starts, {@code null} for now
     */
    public ScheduleOptions(@Nullable String instanceId, @Nullable Instant startAt) {
        this(instanceId, startAt, InstanceIdReusePolicy.IDEMPOTENT);
    }

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
        return new ScheduleOptions(this.instanceId, startAt, this.idReusePolicy);
    }

    /**
     * Returns these options with an id reuse policy.
     * @param policy what scheduling an id that an instance has already does
     * @return the options
     */
    public ScheduleOptions withIdReusePolicy(InstanceIdReusePolicy policy) {
        return new ScheduleOptions(this.instanceId, this.startAt, policy);
    }
}
