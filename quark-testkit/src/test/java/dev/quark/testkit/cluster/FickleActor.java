package dev.quark.testkit.cluster;

import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.QuarkActor;

/**
 * Fails its {@code onActivate} while the failures it was given last (shared by the silos of a test), then
 * counts like the other placed counters.
 */
@QuarkActor
@LocalPreferredPlacement
public class FickleActor extends PlacedCounter implements Fickle {

    private final AtomicInteger failures;

    public FickleActor(TallyEnvironment environment, String siloId, AtomicInteger failures) {
        super(environment, siloId, "Fickle");
        this.failures = failures;
    }

    @Override
    protected void onActivate() {
        if (this.failures.getAndDecrement() > 0) {
            throw new IllegalStateException("Fickle " + actorId() + " is not ready");
        }
        super.onActivate();
    }
}
