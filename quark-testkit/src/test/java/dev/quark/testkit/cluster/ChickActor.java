package dev.quark.testkit.cluster;

import dev.quark.actor.QuarkActor;

@QuarkActor
public class ChickActor extends PlacedCounter implements Chick {

    public ChickActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Chick");
    }

    @Override
    public void fail() {
        throw new IllegalStateException("chick " + actorId() + " fails");
    }
}
