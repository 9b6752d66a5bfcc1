package dev.quark.testkit.cluster;

import dev.quark.actor.ActorRuntimeClosedException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Calls made through a silo that left the cluster (its routing and runtime closed), as a client that learns late
 * that a node went away makes them: they fail at once with {@link ActorRuntimeClosedException}, as calls to a closed
 * single-silo runtime do, whether the method returns its result, a future or nothing; none waits for its call
 * timeout, and none runs. Before, a call to an actor on another silo waited for its call timeout.
 */
class StoppedSiloCallsTests {

    private final TallyEnvironment environment = new TallyEnvironment();

    @AutoClose
    private TallyCluster cluster;

    @Test
    void callsThroughASiloThatLeftFailAtOnceInEveryCallingStyleAndRunNowhere() {
        this.cluster = new TallyCluster(this.environment, 3);
        for (int i = 0; i < 20; i++) {
            this.cluster.silo(1).get(Tally.class, "tally-" + i).add(1);
        }
        TestSilo left = this.cluster.silo(1);
        this.cluster.cluster().stopSilo(1);

        for (int i = 0; i < 20; i++) {
            String id = "tally-" + i;
            assertThatExceptionOfType(ActorRuntimeClosedException.class).as(id)
                .isThrownBy(() -> left.get(Tally.class, id).add(1))
                .withMessageContaining("shut down");
            assertThatExceptionOfType(ActorRuntimeClosedException.class).as(id + ", thrown as a call's routing failure is")
                .isThrownBy(() -> left.get(Tally.class, id).addAsync(1));
            assertThatExceptionOfType(ActorRuntimeClosedException.class).as(id)
                .isThrownBy(() -> left.get(Tally.class, id).addOneWay(1));
        }
        for (int i = 0; i < 20; i++) {
            assertThat(this.cluster.silo(0).get(Tally.class, "tally-" + i).total()).as("ran nowhere").isEqualTo(1);
        }
    }
}
