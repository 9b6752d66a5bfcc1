package dev.quark.runtime;

/**
 * One measurement of the heap, taken by a {@link HeapUsage}.
 *
 * @param usedBytes the heap in use after the last garbage collection
 * @param maxBytes the largest the heap may grow to; zero or less when the JVM does not say
 * @param collections how many garbage collections the JVM had run when the measurement was taken; a
 * reading with the same count as an earlier one measured no collection since, so memory freed meanwhile does
 * not show in it yet
 */
public record HeapReading(long usedBytes, long maxBytes, long collections) {

    /**
     * Returns whether the reading can be compared with a percentage of the heap.
     * @return whether the maximum heap size is known
     */
    public boolean isKnown() {
        return this.maxBytes > 0;
    }

    /**
     * Returns the used heap as a percentage of the maximum.
     * @return a percentage, 0 when the maximum is not known
     */
    public double percentUsed() {
        return isKnown() ? 100.0 * this.usedBytes / this.maxBytes : 0;
    }
}
