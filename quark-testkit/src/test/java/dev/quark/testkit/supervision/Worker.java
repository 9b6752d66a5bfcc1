package dev.quark.testkit.supervision;

import dev.quark.actor.Actor;

public interface Worker extends Actor {

    /** Returns the number of the instance serving this activation. */
    int instance();

    /** Counts one unit of work; "fail" throws an IllegalStateException with message "boom:" + id. */
    int work(String mode);

    /** Returns how much work this instance counted. */
    int count();
}
