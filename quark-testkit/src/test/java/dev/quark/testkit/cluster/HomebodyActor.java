package dev.quark.testkit.cluster;

import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.QuarkActor;

@QuarkActor
@LocalPreferredPlacement
public class HomebodyActor extends PlacedCounter implements Homebody {

    private final TallyEnvironment environment;

    private final String siloId;

    public HomebodyActor(TallyEnvironment environment, String siloId) {
        super(environment, siloId, "Homebody");
        this.environment = environment;
        this.siloId = siloId;
    }

    @Override
    public String holdThenAskBack(String gate, String tallyId) {
        this.environment.await(gate);
        return this.environment.actors(this.siloId).get(Tally.class, tallyId).homebodyWhere(actorId());
    }
}
