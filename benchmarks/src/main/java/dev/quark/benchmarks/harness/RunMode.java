package dev.quark.benchmarks.harness;

import java.time.Duration;

/**
 * How long and how often each workload runs: {@code quick} to see where things stand in a few minutes,
 * {@code full} for the figures that get committed. Both use the workload sizes of the comparison.
 *
 * @param name {@code quick} or {@code full}
 * @param warmups iterations run and discarded before the measured ones
 * @param iterations measured iterations; every figure reports their min, median and max
 * @param requestResponseTime how long one request/response iteration lasts
 * @param churnActivations fresh actors per churn iteration
 * @param jmhWarmups JMH warm-up iterations
 * @param jmhIterations JMH measured iterations
 * @param jmhTime the length of one JMH iteration
 * @param reminderWindow the length of one iteration of the reminders workload
 */
public record RunMode(String name, int warmups, int iterations, Duration requestResponseTime, int churnActivations,
        int jmhWarmups, int jmhIterations, Duration jmhTime, Duration reminderWindow) {

    public static final int COUNTERS = 10_000;

    public static final int[] IN_FLIGHT = { 1, 16, 256 };

    /** Platform threads that asynchronous callers run on, in the second half of request-response-async. */
    public static final int ASYNC_CALLER_THREADS = 16;

    public static final int ONE_WAY_ACTORS = 1_000;

    public static final int ONE_WAY_MESSAGES = 10_000_000;

    public static final int ONE_WAY_PRODUCERS = 2;

    public static final int IDLE_ACTORS = 1_000_000;

    /** Threads sending the first messages of the idle-memory workload in the blocking style. */
    public static final int ACTIVATION_PRODUCERS = 2;

    /** Threads sending the first messages of the idle-memory workload in the asynchronous style. */
    public static final int ASYNC_ACTIVATION_PRODUCERS = 16;

    public static RunMode named(String name) {
        return switch (name) {
            case "quick" -> new RunMode("quick", 1, 3, Duration.ofSeconds(2), 500_000, 2, 3, Duration.ofSeconds(1),
                    Duration.ofSeconds(5));
            case "full" -> new RunMode("full", 2, 5, Duration.ofSeconds(5), 1_000_000, 3, 5, Duration.ofSeconds(2),
                    Duration.ofSeconds(10));
            default -> throw new IllegalArgumentException("Unknown mode '" + name + "': use quick or full");
        };
    }
}
