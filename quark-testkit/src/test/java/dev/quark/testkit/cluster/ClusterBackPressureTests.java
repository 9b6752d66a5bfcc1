package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.quark.actor.MailboxFullException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An actor whose mailbox is full, called from another silo: its calls wait for room (or fail with a full
 * mailbox) without holding back the calls from the same silo to the other actors of its silo.
 */
class ClusterBackPressureTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    private TallyCluster cluster;

    @AfterEach
    void close() {
        this.environment.openAll();
        if (this.cluster != null) {
            this.cluster.close();
        }
        this.callers.shutdownNow();
    }

    @Test
    void aSaturatedActorDoesNotHoldBackCallsToOtherActorsOfItsSilo() throws Exception {
        this.cluster = new TallyCluster(this.environment, 2,
                (runtime) -> runtime.mailboxCapacity(2).mailboxFullTimeout(Duration.ofSeconds(30)), (routing) -> {
                });
        String hot = this.cluster.idOwnedBy("silo-1");
        String other = TallyCluster.idWhere((id) -> !id.equals(hot) && this.cluster.ownerOf(id).equals("silo-1"));
        Tally hotTally = this.cluster.silo(0).get(Tally.class, hot);
        String gate = "hot-" + System.nanoTime();
        CompletableFuture<String> held = CompletableFuture.supplyAsync(() -> hotTally.hold(gate), this.callers);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached(gate));
        // Two fill the mailbox; the third finds it full, on the same lane from silo-0 as the call below.
        for (int i = 0; i < 3; i++) {
            hotTally.addOneWay(1);
        }

        CompletableFuture<Long> otherCall = CompletableFuture
            .supplyAsync(() -> this.cluster.silo(0).get(Tally.class, other).add(1), this.callers);
        assertThat(otherCall.get(15, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(held).isNotDone();

        this.environment.open(gate);
        assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo("silo-1");
        await().atMost(TallyEnvironment.timeout()).until(() -> hotTally.total() == 3);
    }

    @Test
    void aCallThatFindsNoRoomBeforeTheMailboxFullTimeoutFailsWithAFullMailbox() {
        this.cluster = new TallyCluster(this.environment, 2,
                (runtime) -> runtime.mailboxCapacity(1).mailboxFullTimeout(Duration.ofMillis(300)), (routing) -> {
                });
        String hot = this.cluster.idOwnedBy("silo-1");
        Tally hotTally = this.cluster.silo(0).get(Tally.class, hot);
        String gate = "full-" + System.nanoTime();
        CompletableFuture.supplyAsync(() -> hotTally.hold(gate), this.callers);
        await().atMost(TallyEnvironment.timeout()).until(() -> this.environment.reached(gate));
        hotTally.addOneWay(1);
        hotTally.addOneWay(1);

        assertThatThrownBy(() -> hotTally.add(1)).isInstanceOf(MailboxFullException.class)
            .hasMessageContaining("is full");
        this.environment.open(gate);
    }
}
