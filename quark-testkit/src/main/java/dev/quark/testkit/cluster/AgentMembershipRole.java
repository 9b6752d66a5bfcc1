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

    /**
     * Beyond the agent's own bound on its join check: the writes of the joining and active entries, and a loaded
     * machine's scheduling delays.
     */
    private static final Duration JOIN_MARGIN = Duration.ofSeconds(10);

    private final SiloMembership agent;

    private final SiloPause pause;

    /**
     * Takes over an agent built on the pause's scheduler and executor.
     * @param agent the agent
     * @param pause its scheduler and executor, closed with it
     */
    AgentMembershipRole(SiloMembership agent, SiloPause pause) {
        this.agent = agent;
        this.pause = pause;
    }

    @Override
    public ClusterViewSource views() {
        return this.agent;
    }

    /**
     * Waits for the join as long as the timeout, or the agent's own bound on its check
     * ({@link dev.quark.cluster.membership.MembershipSettings#longestJoinCheck()}) plus a margin when that is
     * longer: a join the agent would still decide must not fail as a timeout.
     */
    @Override
    public void join(Duration timeout) {
        Duration bound = this.agent.settings().longestJoinCheck().plus(JOIN_MARGIN);
        Duration wait = (bound.compareTo(timeout) > 0) ? bound : timeout;
        try {
            this.agent.start().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while silo " + this.agent.settings().siloId() + " joined", ex);
        }
        catch (ExecutionException ex) {
            close();
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new IllegalStateException("Silo " + this.agent.settings().siloId() + " could not join: "
                    + cause.getMessage(), cause);
        }
        catch (TimeoutException ex) {
            close();
            throw new IllegalStateException("Silo " + this.agent.settings().siloId() + " did not join within "
                    + wait, ex);
        }
    }

    @Override
    public void leave(Supplier<? extends CompletionStage<?>> handOver, Duration timeout) {
        this.pause.resume();
        try {
            this.agent.leave(handOver).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // Closing below stops the agent regardless.
        }
        close();
    }

    @Override
    public void halt() {
        this.agent.halt();
        close();
    }

    private void close() {
        try {
            this.agent.close();
        }
        finally {
            this.pause.close();
        }
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

    @Override
    public long epoch() {
        return this.agent.epoch();
    }

    @Override
    public void pause() {
        this.pause.pause();
    }

    @Override
    public void resume() {
        this.pause.resume();
    }
}
