package dev.quark.testkit.cluster;

import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.QuarkActor;

@QuarkActor
@LocalPreferredPlacement
public class HomebodyActor extends PlacedCounter implements Homebody {

    public HomebodyActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Homebody");
    }
}
