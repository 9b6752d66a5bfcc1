package dev.quark.autoconfigure.cluster;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.membership.SiloLifecycleListener;
import dev.quark.runtime.ActorRuntime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops every activation of the silo once it learns the cluster declared it dead: other silos own its actors
 * now. The runtime has no way yet to drop an activation without running its deactivation, so they end as
 * failed ({@link DeactivationReason#FAILURE}); actors that save state in {@code onDeactivate} should not
 * save on that reason.
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
        this.runtime.deactivateWhere((address) -> true, DeactivationReason.FAILURE);
    }
}
