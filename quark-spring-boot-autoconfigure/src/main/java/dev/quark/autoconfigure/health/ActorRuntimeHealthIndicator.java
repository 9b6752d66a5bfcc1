package dev.quark.autoconfigure.health;

import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.ActorTypeView;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports the actor runtime: {@code UP} with the number of activations while it accepts calls,
 * {@code DOWN} once it has shut down.
 */
public class ActorRuntimeHealthIndicator extends AbstractHealthIndicator {

    private final ActorRuntime runtime;

    public ActorRuntimeHealthIndicator(ActorRuntime runtime) {
        super("Quark health check failed");
        this.runtime = runtime;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (this.runtime.isRunning()) {
            builder.up();
        }
        else {
            builder.down().withDetail("reason", "the actor runtime is shut down");
        }
        builder.withDetail("activations", this.runtime.activationCount())
            .withDetail("actorTypes", this.runtime.actorTypes().stream().map(ActorTypeView::name).toList());
    }
}
