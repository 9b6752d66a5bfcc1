package dev.quark.durabletasks.internal;

import java.util.Objects;

/**
 * What an instance id may be: not blank, at most {@value #MAX_LENGTH} characters, no control characters (ids end up
 * in lease resources, log lines and URLs).
 */
public final class InstanceIds {

    /** The longest instance id. */
    public static final int MAX_LENGTH = 256;

    private InstanceIds() {
    }

    /**
     * Validates an instance id.
     * @param instanceId the id
     * @return the id
     * @throws IllegalArgumentException naming the id and what is wrong with it
     */
    public static String require(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        if (instanceId.isBlank()) {
            throw new IllegalArgumentException("An instance id must not be blank");
        }
        if (instanceId.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("Instance id '" + instanceId.substring(0, 40) + "...' has "
                    + instanceId.length() + " characters, more than " + MAX_LENGTH);
        }
        if (instanceId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("Instance id '" + instanceId.replaceAll("\\p{Cntrl}", "?")
                    + "' contains control characters");
        }
        return instanceId;
    }
}
