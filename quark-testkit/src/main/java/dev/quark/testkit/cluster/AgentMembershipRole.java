package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.SiloMembership;

/**
 * A silo whose membership is a {@link SiloMembership} agent: heartbeats, probes through the silo's transport,
 * votes, self-fencing.
 */
final class AgentMembershipRole implements SiloMembershipRole {

    private final SiloMembership agent;

    AgentMembershipRole(SiloMembership agent) {
        this.agent = agent;
    }

    @Override
    public ClusterViewSource views() {
        return this.agent;
    }

    @Override
    public void join(Duration timeout) {
        try {
            this.agent.start().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while silo " + this.agent.settings().siloId() + " joined", ex);
        }
        catch (ExecutionException ex) {
            this.agent.close();
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new IllegalStateException("Silo " + this.agent.settings().siloId() + " could not join: "
                    + cause.getMessage(), cause);
        }
        catch (TimeoutException ex) {
            this.agent.close();
            throw new IllegalStateException("Silo " + this.agent.settings().siloId() + " did not join within "
                    + timeout, ex);
        }
    }

    @Override
    public void leave(Supplier<? extends CompletionStage<?>> handOver, Duration timeout) {
        try {
            this.agent.leave(handOver).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Closing below stops the agent regardless.
        }
        this.agent.close();
    }

    @Override
    public void halt() {
        this.agent.halt();
        this.agent.close();
    }

    @Override
    public void holdViews() {
        throw new UnsupportedOperationException("A silo with a membership agent cannot hold its views: build the "
                + "test cluster without failure detection to test silos with old views");
    }

    @Override
    public void releaseViews() {
        holdViews();
    }
}
