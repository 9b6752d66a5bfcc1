package dev.quark.autoconfigure.cluster;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.membership.SiloLifecycleListener;
import dev.quark.runtime.ActorRuntime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops every activation of the silo once it learns the cluster declared it dead: other silos own its actors
 * now, so none of their code runs ({@link ActorRuntime#dropWhere}: no {@code onDeactivate}, hooks see
 * {@link DeactivationReason#DROPPED}) and nothing they would save can overwrite what the new owners wrote.
 */
final class DeadSiloActivations implements SiloLifecycleListener {

    private static final Logger logger = LoggerFactory.getLogger(DeadSiloActivations.class);

    private final ActorRuntime runtime;

    DeadSiloActivations(ActorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the agent's thread must not wait for the deactivations
    public void declaredDead(long epoch) {
        logger.warn("This silo (epoch {}) was declared dead: dropping its {} activations", epoch,
                this.runtime.activationCount());
        this.runtime.dropWhere((address) -> true);
    }
}
