package dev.quark.benchmarks;

import java.util.concurrent.CompletionStage;

import dev.quark.benchmarks.harness.CallingStyle;
import org.HdrHistogram.Recorder;

/**
 * One actor system under test, driven the way its own users would drive it. Quark and Apache Pekko each
 * implement it with their public API; the workloads in {@link Workloads} are the same for both. Each
 * workload method takes the {@link CallingStyle} it is measured in: Quark is called in that style, Pekko
 * the one way its users call it in both.
 */
public interface Contender extends AutoCloseable {

    /**
     * Creates {@code count} counter actors and makes sure each has handled a message, so that the measured
     * part of a workload never includes their start.
     */
    void startCounters(int count) throws Exception;

    /**
     * The blocking style of request/response: keeps {@code inFlight} increment-and-get calls in flight to
     * counters picked at random until the deadline, each caller sending its next call once the previous one
     * answered. Pekko, which has no blocking call, pipelines its {@code ask} as in the asynchronous style.
     * @param latencies where the nanoseconds of every call go
     * @return how many calls completed
     */
    long requestResponse(int inFlight, long deadlineNanos, Recorder latencies) throws Exception;

    /**
     * The asynchronous style's call: one increment-and-get of a counter picked at random, without waiting.
     * {@link PipelinedCallers} makes the next one from its callback.
     */
    CompletionStage<?> incrementAndGetAsync();

    /**
     * Sends {@code messagesPerActor} one-way increments to every counter from {@code producers} platform
     * threads and returns once every counter has handled them all.
     */
    void oneWay(CallingStyle style, int producers, int messagesPerActor) throws Exception;

    /**
     * Starts {@code count} fresh actors that each hold one {@code int}, their first messages sent from
     * {@code producers} platform threads, and returns once every one of them has handled its first message.
     */
    void activate(CallingStyle style, int producers, int count) throws Exception;

    @Override
    void close() throws Exception;
}
