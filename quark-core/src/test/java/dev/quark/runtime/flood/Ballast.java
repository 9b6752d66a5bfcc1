package dev.quark.runtime.flood;

import dev.quark.actor.Actor;

public interface Ballast extends Actor {

    /** Returns how many bytes the activation holds. */
    int size();
}
