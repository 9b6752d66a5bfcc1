package dev.quark.lease;

import java.time.Duration;
import java.util.Objects;

/**
 * Who holds a resource, as a {@link LeaseStore} sees it when asked.
 *
 * @param resource the resource
 * @param owner the owner of the lease
 * @param token the lease's fencing token
 * @param remaining how long the lease had left, measured by the store's clock when it answered
 */
public record LeaseHolder(String resource, String owner, FencingToken token, Duration remaining) {

    /**
     * Validates the holder.
     */
    public LeaseHolder {
        Objects.requireNonNull(resource, "resource must not be null");
        Objects.requireNonNull(owner, "owner must not be null");
        Objects.requireNonNull(token, "token must not be null");
        Objects.requireNonNull(remaining, "remaining must not be null");
    }
}
