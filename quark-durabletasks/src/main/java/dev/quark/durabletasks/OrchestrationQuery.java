package dev.quark.durabletasks;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Which instances {@link DurableTaskClient#list} returns: by status, page by page in the order of their ids.
 *
 * @param statuses the statuses, empty for all
 * @param afterInstanceId the last id of the previous page, {@code null} for the first page
 * @param limit the most instances to return, 1 to {@value #MAX_LIMIT}
 */
public record OrchestrationQuery(Set<OrchestrationStatus> statuses, @Nullable String afterInstanceId, int limit) {

    /** The largest page. */
    public static final int MAX_LIMIT = 1000;

    /**
     * Validates the query.
     * @throws IllegalArgumentException when the limit is out of range
     */
    public OrchestrationQuery {
        statuses = statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
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
                this.limit);
    }

    /**
     * Returns whether a status is asked for.
     * @param status the status
     * @return whether it matches
     */
    public boolean matches(OrchestrationStatus status) {
        return this.statuses.isEmpty() || this.statuses.contains(status);
    }
}
