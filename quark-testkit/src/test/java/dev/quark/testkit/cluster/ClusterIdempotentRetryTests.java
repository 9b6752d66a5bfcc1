package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.runtime.ActorAddress;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Calls to {@link dev.quark.actor.Idempotent} methods whose outcome on another silo is unknown (that silo was
 * killed and declared dead while the call waited) are sent once more, to the actor's new owner, within the
 * call's deadline; calls to other methods, and calls the actor failed, are not.
 */
class ClusterIdempotentRetryTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void idempotentCallWhoseSiloIsKilledWhileItWaitsRunsOnTheNewOwner() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = this.cluster.idOwnedBy("silo-2");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("retried"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("retried").contains("silo-2"));

        this.cluster.cluster().killSilo(2);
        this.environment.open("retried");
        this.cluster.cluster().declareDead(2);

        String newOwner = ownerWithout("silo-2", id);
        assertThat(waiting).succeedsWithin(TallyEnvironment.timeout()).isEqualTo(newOwner);
        assertThat(this.environment.arrivals("retried")).as("run on the killed silo (may or may not have "
                + "finished there), then once on the new owner").containsExactly("silo-2", newOwner);
    }

    @Test
    void callNotMarkedIdempotentWhoseSiloIsKilledFailsAndIsNotSentAgain() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = this.cluster.idOwnedBy("silo-2");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.hold("once"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("once").contains("silo-2"));

        this.cluster.cluster().killSilo(2);
        this.environment.open("once");
        this.cluster.cluster().declareDead(2);

        assertThat(waiting).failsWithin(TallyEnvironment.timeout())
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("may or may not have run there")
            .withMessageNotContaining("retried");
        assertThat(this.environment.arrivals("once")).containsExactly("silo-2");
    }

    @Test
    void idempotentCallWhoseRetryIsLostTooFailsSayingItWasRetriedOnce() {
        this.cluster = new TallyCluster(this.environment, 3);
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate).equals("silo-2")
                && ownerWithout("silo-2", candidate).equals("silo-1"));
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("lost"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("lost").contains("silo-2"));

        this.cluster.cluster().killSilo(2);
        this.cluster.cluster().declareDead(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("lost").contains("silo-1"));
        this.cluster.cluster().killSilo(1);
        this.cluster.cluster().declareDead(1);

        assertThat(waiting).failsWithin(TallyEnvironment.timeout())
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(SiloUnavailableException.class)
            .withMessageContaining("retried once")
            .withMessageContaining("silo-1");
        assertThat(this.environment.arrivals("lost")).as("sent twice, never a third time")
            .containsExactly("silo-2", "silo-1");
    }

    @Test
    void retryNeverRunsPastTheCallsOriginalDeadline() {
        // Long enough for the kill, the declaration and the 500 ms departure grace on a loaded machine.
        Duration callTimeout = Duration.ofSeconds(8);
        this.cluster = new TallyCluster(this.environment, 3, (runtime) -> runtime.callTimeout(callTimeout),
                (routing) -> {
                });
        String id = TallyCluster.idWhere((candidate) -> this.cluster.ownerOf(candidate).equals("silo-2")
                && ownerWithout("silo-2", candidate).equals("silo-1"));
        Tally tally = this.cluster.silo(0).get(Tally.class, id);
        long started = System.nanoTime();
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> tally.holdIdempotently("late"));
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("late").contains("silo-2"));

        this.cluster.cluster().killSilo(2);
        this.cluster.cluster().declareDead(2);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.arrivals("late").contains("silo-1"));

        assertThat(waiting).failsWithin(TallyEnvironment.timeout())
            .withThrowableOfType(ExecutionException.class)
            .havingCause()
            .isInstanceOf(ActorCallTimeoutException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("failed at the first attempt's deadline, not a second timeout later")
            .isGreaterThanOrEqualTo(callTimeout.minusMillis(100))
            .isLessThan(callTimeout.plusSeconds(4));
    }

    @Test
    void idempotentCallTheActorFailedIsNotSentAgain() {
        this.cluster = new TallyCluster(this.environment, 2);
        String id = this.cluster.idOwnedBy("silo-1");
        Tally tally = this.cluster.silo(0).get(Tally.class, id);

        assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> tally.failIdempotently("thrown"))
            .withMessageContaining("refuses thrown");

        assertThat(this.environment.arrivals("thrown")).containsExactly("silo-1");
    }

    /** The silo that owns a tally once a silo is gone from the view of the first silo. */
    private String ownerWithout(String goneSiloId, String id) {
        ClusterView view = this.cluster.silo(0).routing().view();
        List<SiloEntry> rest = view.membership()
            .silos()
            .values()
            .stream()
            .filter((entry) -> !entry.siloId().equals(goneSiloId))
            .toList();
        ClusterView without = ClusterView.of(MembershipSnapshot.of(view.version() + 1, rest), 150);
        return new HashPlacementDirector().ownerOf(new ActorAddress("Tally", id), without);
    }
}
