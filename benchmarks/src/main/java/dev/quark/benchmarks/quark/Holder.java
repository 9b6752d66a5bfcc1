package dev.quark.benchmarks.quark;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.benchmarks.Completion;

/**
 * An actor that holds one {@code int}: what an idle activation costs.
 */
public interface Holder extends Actor {

    @OneWay
    void hold(int value, Completion started);
}
