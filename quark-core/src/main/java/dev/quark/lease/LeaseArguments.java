package dev.quark.lease;

import java.time.Duration;
import java.util.Objects;

/**
 * The checks every lease store makes on its arguments, so that all backends refuse the same values with the
 * same messages.
 */
final class LeaseArguments {

    /** The longest resource name, in characters. */
    static final int MAX_RESOURCE_LENGTH = 1024;

    /** The longest owner name, in characters. */
    static final int MAX_OWNER_LENGTH = 255;

    private LeaseArguments() {
    }

    static String requireResource(String resource) {
        Objects.requireNonNull(resource, "resource must not be null");
        if (resource.isBlank() || resource.length() > MAX_RESOURCE_LENGTH) {
            throw new IllegalArgumentException("Lease resource '" + abbreviate(resource)
                    + "' is not allowed: it must not be blank and at most " + MAX_RESOURCE_LENGTH + " characters long");
        }
        return resource;
    }

    static String requireOwner(String owner) {
        Objects.requireNonNull(owner, "owner must not be null");
        if (owner.isBlank() || owner.length() > MAX_OWNER_LENGTH) {
            throw new IllegalArgumentException("Lease owner '" + abbreviate(owner)
                    + "' is not allowed: it must not be blank and at most " + MAX_OWNER_LENGTH + " characters long");
        }
        return owner;
    }

    /**
     * Checks a lease duration and cuts it to whole milliseconds, the precision of every backend.
     */
    static Duration requireDuration(Duration duration) {
        Objects.requireNonNull(duration, "duration must not be null");
        if (duration.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("Lease duration " + duration + " is not allowed: it must be at least 1ms");
        }
        if (duration.compareTo(LeaseStore.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("Lease duration " + duration + " is not allowed: it must be at most "
                    + LeaseStore.MAX_DURATION);
        }
        return Duration.ofMillis(duration.toMillis());
    }

    static int requireMax(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("The number of leases to acquire must not be negative, was " + max);
        }
        return max;
    }

    private static String abbreviate(String value) {
        return (value.length() <= 64) ? value : value.substring(0, 64) + "...";
    }
}
