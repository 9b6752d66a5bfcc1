package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.StatelessWorker;

/**
 * A stateless worker with a pool of two activations per id and silo; records its activations under
 * "Worker:id@silo".
 */
@QuarkActor
@StatelessWorker(maxLocalActivations = 2)
public class WorkerActor extends AbstractActor implements Worker {

    private final TallyEnvironment environment;

    private final String siloId;

    public WorkerActor(TallyEnvironment environment, String siloId) {
        this.environment = environment;
        this.siloId = siloId;
    }

    private String key() {
        return "Worker:" + actorId() + "@" + this.siloId;
    }

    @Override
    protected void onActivate() {
        this.environment.activated(key(), this.siloId);
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.environment.deactivated(key(), this.siloId, reason);
    }

    @Override
    public String where() {
        return this.siloId;
    }

    @Override
    public String hold(String gate) {
        this.environment.await(gate);
        return this.siloId;
    }

    @Override
    public String meetThenCall(String tallyId, String meeting, int parties) {
        this.environment.meet(meeting, parties);
        return actorId() + "@" + this.siloId + " -> " + tallyId + "@"
                + this.environment.actors(this.siloId).get(Tally.class, tallyId).where();
    }
}
