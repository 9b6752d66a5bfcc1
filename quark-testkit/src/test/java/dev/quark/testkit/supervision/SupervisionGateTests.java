package dev.quark.testkit.supervision;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.ActivationGate;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.testkit.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * What the runtime tells its activation gate about supervised children, which a cluster keeps with their
 * parents: a child spawned (once per supervision), a child released when its parent ends for good, a spawn the
 * gate refuses.
 */
class SupervisionGateTests {

    private final SupervisionLog log = new SupervisionLog();

    private final RecordingGate gate = new RecordingGate();

    private final ActorTestKit kit = ActorTestKit.builder()
        .actor(SupervisorActor.class, () -> new SupervisorActor(this.log))
        .actor(WorkerActor.class, () -> new WorkerActor(this.log))
        .runtime((runtime) -> runtime.activationGate(this.gate))
        .build();

    @AfterEach
    void close() {
        this.kit.close();
    }

    @Test
    void theGateLearnsOfEachChildOnceAndOfItsReleaseWhenTheParentEnds() {
        Supervisor parent = this.kit.get(Supervisor.class, "P");
        parent.spawn(List.of("c1", "c2"));
        parent.spawn(List.of("c1"));
        assertThat(this.gate.spawned).containsExactly(worker("c1"), worker("c2"));
        assertThat(this.gate.released).isEmpty();

        this.kit.runtime().deactivate(Supervisor.class, "P");
        await().until(() -> this.gate.released.size() == 2);
        assertThat(this.gate.released).containsExactlyInAnyOrder(worker("c1"), worker("c2"));

        this.kit.get(Supervisor.class, "P").spawn(List.of("c1"));
        assertThat(this.gate.spawned).containsExactly(worker("c1"), worker("c2"), worker("c1"));
    }

    @Test
    void aSpawnTheGateRefusesFailsWithItsExceptionAndLeavesTheActorUnsupervised() {
        this.gate.refused.add(worker("elsewhere"));
        Supervisor parent = this.kit.get(Supervisor.class, "P");
        assertThatIllegalStateException().isThrownBy(() -> parent.spawn(List.of("elsewhere")))
            .withMessage("Worker/elsewhere lives on silo-9");
        assertThat(parent.childIds()).isEmpty();

        this.gate.refused.clear();
        parent.spawn(List.of("elsewhere"));
        assertThat(parent.childIds()).containsExactly("elsewhere");
    }

    private static ActorAddress worker(String id) {
        return new ActorAddress("Worker", id);
    }

    /** Lets every activation start here and records what it is told about children. */
    private static final class RecordingGate implements ActivationGate {

        final List<ActorAddress> spawned = new CopyOnWriteArrayList<>();

        final List<ActorAddress> released = new CopyOnWriteArrayList<>();

        final Set<ActorAddress> refused = ConcurrentHashMap.newKeySet();

        @Override
        public ActorLocation admit(ActorAddress address) {
            return ActorLocation.LOCAL;
        }

        @Override
        public void childSpawned(ActorAddress child) {
            if (this.refused.contains(child)) {
                throw new IllegalStateException(child + " lives on silo-9");
            }
            this.spawned.add(child);
        }

        @Override
        public void childReleased(ActorAddress child) {
            this.released.add(child);
        }
    }
}
