package dev.quark.cluster.routing;

import dev.quark.actor.DeactivationReason;
import dev.quark.cluster.membership.SiloLifecycleListener;
import dev.quark.runtime.ActorRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops every activation of the silo once it learns the cluster declared it dead: other silos own its actors
 * now, so none of their code runs ({@link ActorRuntime#dropWhere}: no {@code onDeactivate}, hooks see
 * {@link DeactivationReason#DROPPED}) and nothing they would save can overwrite what the new owners wrote.
 * Add it to the silo's membership agent ({@code SiloMembership.addListener}); the Spring Boot starter and the test
 * kit's test cluster do.
 */
public final class DeadSiloActivations implements SiloLifecycleListener {

    private static final Logger logger = LoggerFactory.getLogger(DeadSiloActivations.class);

    private final ActorRuntime runtime;

    /**
     * Drops the activations of a silo's runtime.
     * @param runtime the runtime of the silo whose membership agent this listener is added to
     */
    public DeadSiloActivations(ActorRuntime runtime) {
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
