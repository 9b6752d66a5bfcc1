package dev.quark.benchmarks.harness;

/**
 * The two ways users call actors, each measured by workloads of its own. Pekko is driven the one way its
 * users drive it (a pipelined {@code ask}, {@code tell}) under both; Quark is called in each style.
 */
public enum CallingStyle {

    /**
     * Blocking calls from virtual threads: a caller waits for the answer before it makes its next call;
     * one-way messages and first calls from 2 producer threads. The harness as it was first written.
     */
    BLOCKING(""),

    /**
     * Asynchronous methods returning {@code CompletableFuture}: each caller makes its next call from the
     * completion callback of the previous one, the first from a platform thread; one-way messages are
     * calls whose futures the producers do not wait for; first calls come from 16 platform threads.
     */
    ASYNC("-async");

    private final String suffix;

    CallingStyle(String suffix) {
        this.suffix = suffix;
    }

    /** The name {@code --only} knows a workload by in this style, e.g. {@code one-way-async}. */
    public String workload(String base) {
        return base + this.suffix;
    }

    /** The key of a figure measured in this style: {@code rr.16.rate} or {@code async.rr.16.rate}. */
    public String key(String base) {
        return (this == BLOCKING) ? base : "async." + base;
    }

    /** The style a workload name stands for: a name ending in {@code -async} is {@link #ASYNC}. */
    public static CallingStyle of(String workload) {
        return workload.endsWith(ASYNC.suffix) ? ASYNC : BLOCKING;
    }

    /** The workload name without its style suffix, e.g. {@code one-way} for {@code one-way-async}. */
    public static String base(String workload) {
        return (of(workload) == ASYNC) ? workload.substring(0, workload.length() - ASYNC.suffix.length()) : workload;
    }
}
