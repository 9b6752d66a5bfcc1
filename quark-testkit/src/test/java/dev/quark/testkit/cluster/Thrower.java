package dev.quark.testkit.cluster;

import dev.quark.actor.Actor;

/**
 * Throws the failure it is asked for, for the tests of failures crossing silos.
 */
public interface Thrower extends Actor {

    /** Throws the sample failure of that name from {@link QuarkFailureSamples}. */
    void fail(String sample);
}
