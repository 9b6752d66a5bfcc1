package dev.quark.durabletasks;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import dev.quark.durabletasks.store.InstanceRecord;
import org.jspecify.annotations.Nullable;

/**
 * Which instances {@link DurableTaskClient#list} returns: by status, orchestration name and creation time, page by
 * page in the order of their ids. Immutable; the filters combine with "and".
 *
 * @param statuses the statuses, empty for all
 * @param afterInstanceId the last id of the previous page, {@code null} for the first page
 * @param limit the most instances to return, 1 to {@value #MAX_LIMIT}
 * @param name the orchestration's name, {@code null} for all
 * @param createdFrom the earliest creation time (inclusive), {@code null} for no lower bound
 * @param createdTo the latest creation time (exclusive), {@code null} for no upper bound
 */
public record OrchestrationQuery(Set<OrchestrationStatus> statuses, @Nullable String afterInstanceId, int limit,
        @Nullable String name, @Nullable Instant createdFrom, @Nullable Instant createdTo) {

    /** The largest page. */
    public static final int MAX_LIMIT = 1000;

    /**
     * Validates the query.
     * @throws IllegalArgumentException when the limit is out of range, the name blank or the time range empty
     */
    public OrchestrationQuery {
        statuses = statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank; use null for every orchestration");
        }
        if (createdFrom != null && createdTo != null && !createdFrom.isBefore(createdTo)) {
            throw new IllegalArgumentException("createdFrom (" + createdFrom + ") must be before createdTo ("
                    + createdTo + ")");
        }
    }

    /**
     * Creates a query by status only.
     * @param statuses the statuses, empty for all
     * @param afterInstanceId the last id of the previous page, {@code null} for the first page
     * @param limit the page size
     */
    public OrchestrationQuery(Set<OrchestrationStatus> statuses, @Nullable String afterInstanceId, int limit) {
        this(statuses, afterInstanceId, limit, null, null, null);
    }

    /**
     * Returns the first page of instances in some statuses.
     * @param limit the page size
     * @param statuses the statuses, none for all
     * @return the query
     */
    public static OrchestrationQuery of(int limit, OrchestrationStatus... statuses) {
        return new OrchestrationQuery(Set.of(statuses), null, limit);
    }

    /**
     * Returns the page after an instance.
     * @param instanceId the last id of the previous page
     * @return the query
     */
    public OrchestrationQuery after(String instanceId) {
        return new OrchestrationQuery(this.statuses, Objects.requireNonNull(instanceId, "instanceId must not be null"),
                this.limit, this.name, this.createdFrom, this.createdTo);
    }

    /**
     * Returns this query for instances of one orchestration only.
     * @param name the orchestration's name
     * @return the query
     */
    public OrchestrationQuery withName(String name) {
        return new OrchestrationQuery(this.statuses, this.afterInstanceId, this.limit,
                Objects.requireNonNull(name, "name must not be null"), this.createdFrom, this.createdTo);
    }

    /**
     * Returns this query for instances created in a time range.
     * @param from the earliest creation time (inclusive), {@code null} for no lower bound
     * @param to the latest creation time (exclusive), {@code null} for no upper bound
     * @return the query
     */
    public OrchestrationQuery createdBetween(@Nullable Instant from, @Nullable Instant to) {
        return new OrchestrationQuery(this.statuses, this.afterInstanceId, this.limit, this.name, from, to);
    }

    /**
     * Returns whether a status is asked for.
     * @param status the status
     * @return whether it matches
     */
    public boolean matches(OrchestrationStatus status) {
        return this.statuses.isEmpty() || this.statuses.contains(status);
    }

    /**
     * Returns whether an instance matches every filter of the query (not the page).
     * @param instance the instance
     * @return whether it matches
     */
    public boolean matches(InstanceRecord instance) {
        Instant created = instance.createdAt();
        return matches(instance.status()) && (this.name == null || this.name.equals(instance.name()))
                && (this.createdFrom == null || !created.isBefore(this.createdFrom))
                && (this.createdTo == null || created.isBefore(this.createdTo));
    }
}
