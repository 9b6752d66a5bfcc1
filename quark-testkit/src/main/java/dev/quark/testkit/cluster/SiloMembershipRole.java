package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.quark.cluster.membership.ClusterViewSource;

/**
 * How one silo of a test cluster takes part in membership: through the table alone ({@link TableViewSource}),
 * or through a membership agent with failure detection.
 */
interface SiloMembershipRole {

    /**
     * Returns the view the silo routes with.
     */
    ClusterViewSource views();

    /**
     * Joins: the silo is {@code ACTIVE} when this returns.
     */
    void join(Duration timeout);

    /**
     * Leaves gracefully: {@code SHUTTING_DOWN}, the hand-over, {@code DEAD}.
     */
    void leave(Supplier<? extends CompletionStage<?>> handOver, Duration timeout);

    /**
     * Stops without a word to the table, like a crash.
     */
    void halt();

    /**
     * Keeps the silo on its current view while the others move on, where the role can.
     * @throws UnsupportedOperationException where it cannot
     */
    void holdViews();

    /**
     * Follows membership again after {@link #holdViews()}.
     */
    void releaseViews();

    /**
     * Returns the silo's current incarnation: the epoch it joined with, or a later one once it rejoined.
     */
    long epoch();

    /**
     * Stops the silo's own membership work (rounds, table reads) as a stop-the-world pause would, where the role
     * has such work.
     * @throws UnsupportedOperationException where it has none
     */
    void pause();

    /**
     * Lets the membership work held by {@link #pause()} run.
     * @throws UnsupportedOperationException where the role has no such work
     */
    void resume();
}
