package dev.quark.benchmarks.quark;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.benchmarks.Completion;

/**
 * An actor of the churn workload: called once, then left for idle collection.
 */
public interface Ephemeral extends Actor {

    @OneWay
    void touch(Completion started);
}
