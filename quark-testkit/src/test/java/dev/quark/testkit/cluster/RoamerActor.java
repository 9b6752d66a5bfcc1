package dev.quark.testkit.cluster;

import dev.quark.actor.QuarkActor;
import dev.quark.actor.RandomPlacement;

@QuarkActor
@RandomPlacement
public class RoamerActor extends PlacedCounter implements Roamer {

    public RoamerActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Roamer");
    }
}
