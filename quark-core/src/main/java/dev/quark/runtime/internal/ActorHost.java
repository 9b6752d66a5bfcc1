package dev.quark.runtime.internal;

import java.time.Duration;
import java.util.List;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorContext;
import dev.quark.actor.ActorRef;
import dev.quark.actor.ActorTimer;
import dev.quark.actor.TimerOptions;

/**
 * What an {@link dev.quark.actor.AbstractActor} sees of the activation that hosts it.
 */
public interface ActorHost {

    String actorId();

    ActorContext currentContext();

    void deactivateOnIdle();

    ActorTimer registerTimer(String name, Duration dueTime, Duration period, TimerOptions options, Runnable callback);

    boolean cancelTimer(String name);

    <T extends Actor> T spawnChild(Class<T> contract, String childId);

    List<ActorRef> children();
}
