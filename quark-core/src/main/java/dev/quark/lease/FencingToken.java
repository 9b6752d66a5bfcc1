package dev.quark.lease;

/**
 * The number a lease carries to fence off its predecessors: every lease on a resource gets a token greater than
 * any token issued for that resource before, whether the earlier lease was released, expired or is still held
 * by an owner that does not know it lost it. A write made on behalf of a lease carries its token and is refused
 * when a greater one has been seen (see {@link LeaseStore} for the guarded-write patterns).
 * <p>
 * Tokens are positive. Stores draw them from one counter per store, so a token also identifies its lease; only
 * their order per resource is promised.
 *
 * @param value the token, positive
 */
public record FencingToken(long value) implements Comparable<FencingToken> {

    /**
     * Validates the token.
     * @throws IllegalArgumentException when the value is not positive
     */
    public FencingToken {
        if (value <= 0) {
            throw new IllegalArgumentException("A fencing token is positive, was " + value);
        }
    }

    /**
     * Returns whether this token was issued after another one for the same resource.
     * @param other the other token
     * @return whether this token is greater
     */
    public boolean isNewerThan(FencingToken other) {
        return this.value > other.value;
    }

    @Override
    public int compareTo(FencingToken other) {
        return Long.compare(this.value, other.value);
    }

    /**
     * Returns the value, the form tokens take in messages and in the columns and fields of guarded rows.
     */
    @Override
    public String toString() {
        return Long.toString(this.value);
    }
}
