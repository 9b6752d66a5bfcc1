package dev.quark.testkit.supervision;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;

@QuarkActor
public class WorkerActor extends AbstractActor implements Worker {

    private final SupervisionLog log;

    private final int instance;

    private int count;

    public WorkerActor(SupervisionLog log) {
        this.log = log;
        this.instance = log.instances().incrementAndGet();
    }

    @Override
    protected void onActivate() {
        this.log.activationAttempts().incrementAndGet();
        if (this.log.failingActivations().contains(actorId())) {
            throw new IllegalStateException("cannot activate " + actorId());
        }
        this.log.add(actorId() + ":activate");
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.log.add(actorId() + ":deactivate:" + reason);
    }

    @Override
    public int instance() {
        return this.instance;
    }

    @Override
    public int work(String mode) {
        if (mode.equals("fail")) {
            throw new IllegalStateException("boom:" + actorId());
        }
        return ++this.count;
    }

    @Override
    public int count() {
        return this.count;
    }
}
