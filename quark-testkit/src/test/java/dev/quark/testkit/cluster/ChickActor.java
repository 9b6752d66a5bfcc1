package dev.quark.testkit.cluster;

import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.QuarkActor;

@QuarkActor
@PlacedWithParent
public class ChickActor extends PlacedCounter implements Chick {

    private final TallyEnvironment environment;

    public ChickActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Chick");
        this.environment = environment;
    }

    @Override
    protected void onActivate() {
        if (this.environment.takeActivationFailure("Chick:" + actorId())) {
            throw new IllegalStateException("chick " + actorId() + " fails to activate");
        }
        super.onActivate();
    }

    @Override
    public void fail() {
        throw new IllegalStateException("chick " + actorId() + " fails");
    }

    @Override
    public void block(String gate) {
        this.environment.await(gate);
    }
}
