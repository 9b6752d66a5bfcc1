package dev.quark.benchmarks.quark;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.benchmarks.OneWayRound;

/**
 * The counter of the request/response and one-way workloads, with a method for each calling style.
 */
public interface Counter extends Actor {

    /** The blocking style: the caller waits for the new value. */
    int incrementAndGet();

    /** The asynchronous style: the future completes with the new value. */
    CompletableFuture<Integer> incrementAndGetAsync();

    /** The blocking style's one-way message: the caller does not wait. */
    @OneWay
    void add(OneWayRound round);

    /** The asynchronous style's one-way message: the sender does not wait for the future. */
    CompletableFuture<Void> addAsync(OneWayRound round);
}
