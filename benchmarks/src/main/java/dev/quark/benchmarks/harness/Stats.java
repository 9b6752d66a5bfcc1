package dev.quark.benchmarks.harness;

import java.util.Arrays;

/**
 * The spread of one figure over the measured iterations.
 */
public record Stats(double min, double median, double max) {

    public static Stats of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("No measured values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        double median = (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Stats(sorted[0], median, sorted[sorted.length - 1]);
    }
}
