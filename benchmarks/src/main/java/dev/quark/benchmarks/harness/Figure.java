package dev.quark.benchmarks.harness;

/**
 * One measured figure of one contender, identified by a key that {@link ComparisonTable} knows.
 */
public record Figure(String key, String contender, Stats stats) {
}
