package dev.quark.testkit.cluster;

import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.QuarkActor;

/**
 * Fails its {@code onActivate} while the failures it was given last (shared by the silos of a test), then
 * counts like the other placed counters.
 */
@QuarkActor
public class SkittishActor extends PlacedCounter implements Skittish {

    private final AtomicInteger failures;

    public SkittishActor(TallyEnvironment environment, String siloId, AtomicInteger failures) {
        super(environment, siloId, "Skittish");
        this.failures = failures;
    }

    @Override
    protected void onActivate() {
        if (this.failures.getAndDecrement() > 0) {
            throw new IllegalStateException("Skittish " + actorId() + " is not ready");
        }
        super.onActivate();
    }
}
