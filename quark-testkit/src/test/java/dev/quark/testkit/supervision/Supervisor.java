package dev.quark.testkit.supervision;

import java.util.List;

import dev.quark.actor.Actor;

public interface Supervisor extends Actor {

    /** Spawns children with these ids, in order, as workers or, with the prefix "sup:", supervisors. */
    void spawn(List<String> childIds);

    /** Returns the ids of the children, in spawn order. */
    List<String> childIds();

    /** Calls a child worker from inside a turn. */
    int workOnChild(String childId, String mode);

    /** Asks for deactivation after this turn. */
    void leave();
}
