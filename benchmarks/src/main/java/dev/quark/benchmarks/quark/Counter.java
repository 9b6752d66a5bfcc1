package dev.quark.benchmarks.quark;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.benchmarks.OneWayRound;

/**
 * The counter of the request/response and one-way workloads.
 */
public interface Counter extends Actor {

    int incrementAndGet();

    @OneWay
    void add(OneWayRound round);
}
