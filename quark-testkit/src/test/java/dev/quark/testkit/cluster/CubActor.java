package dev.quark.testkit.cluster;

import dev.quark.actor.QuarkActor;
import dev.quark.actor.LocalPreferredPlacement;

@QuarkActor
@LocalPreferredPlacement
public class CubActor extends PlacedCounter implements Cub {

    private final TallyEnvironment environment;

    public CubActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Cub");
        this.environment = environment;
    }

    @Override
    protected void onActivate() {
        if (this.environment.takeActivationFailure("Cub:" + actorId())) {
            throw new IllegalStateException("Cub " + actorId() + " was told to fail its activation");
        }
        super.onActivate();
    }

    @Override
    public void fail() {
        throw new IllegalStateException("Cub " + actorId() + " was told to fail");
    }
}
