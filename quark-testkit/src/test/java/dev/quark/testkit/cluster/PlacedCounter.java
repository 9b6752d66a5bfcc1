package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.DeactivationReason;

/**
 * A counter that saves its total in the environment's store on every change (so that it survives the death
 * of its silo) and records its activations under "type:id".
 */
abstract class PlacedCounter extends AbstractActor {

    private final TallyEnvironment environment;

    private final String siloId;

    private final String type;

    private long total;

    PlacedCounter(TallyEnvironment environment, String siloId, String type) {
        this.environment = environment;
        this.siloId = siloId;
        this.type = type;
    }

    private String key() {
        return this.type + ":" + actorId();
    }

    @Override
    protected void onActivate() {
        this.environment.activated(key(), this.siloId);
        this.total = this.environment.load(key());
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.environment.deactivated(key(), this.siloId, reason);
    }

    public long add(long amount) {
        this.total += amount;
        this.environment.save(key(), this.total);
        return this.total;
    }

    public String where() {
        return this.siloId;
    }
}
