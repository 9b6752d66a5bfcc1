package dev.quark.benchmarks.quark;

import java.util.concurrent.atomic.LongAdder;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.benchmarks.Completion;

@QuarkActor(name = "bench-ephemeral")
public class EphemeralActor extends AbstractActor implements Ephemeral {

    private final LongAdder deactivations;

    public EphemeralActor(LongAdder deactivations) {
        this.deactivations = deactivations;
    }

    @Override
    public void touch(Completion started) {
        started.done();
    }

    @Override
    protected void onDeactivate(DeactivationReason reason) {
        this.deactivations.increment();
    }
}
