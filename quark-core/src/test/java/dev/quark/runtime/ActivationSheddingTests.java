package dev.quark.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.DeactivationReason;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import dev.quark.runtime.fixtures.SettableClock;
import dev.quark.state.ActorState;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.PersistentState;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.memory.InMemoryStateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class ActivationSheddingTests {

    private static final Duration LONG = Duration.ofHours(1);

    private final ProbeEnvironment environment = new ProbeEnvironment();

    /** Moved one second per step, so that every use of an activation has its own instant. */
    private final SettableClock clock = new SettableClock();

    private final ShedCounts shed = new ShedCounts();

    private final AtomicReference<HeapReading> heap = new AtomicReference<>(new HeapReading(0, 100, 0));

    private final List<ActorRuntime> runtimes = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        this.environment.gates().values().forEach(CountDownLatch::countDown);
        this.runtimes.forEach(ActorRuntime::close);
    }

    @Test
    void overMaxActivationsTheLeastRecentlyUsedIdleActivationsAreShedDownToNinetyPercent() {
        ActorRuntime runtime = probes(builder().maxActivations(10));
        activate(runtime, 15);
        touch(runtime, "p0");
        touch(runtime, "p1");

        assertThat(runtime.collectIdleActivations()).isEqualTo(6);

        assertThat(active(runtime, 15)).containsExactly("p0", "p1", "p8", "p9", "p10", "p11", "p12", "p13", "p14");
        assertThat(this.environment.log()).filteredOn((entry) -> entry.contains("deactivate"))
            .containsExactlyInAnyOrder("p2:deactivate:IDLE", "p3:deactivate:IDLE", "p4:deactivate:IDLE",
                    "p5:deactivate:IDLE", "p6:deactivate:IDLE", "p7:deactivate:IDLE");
        assertThat(this.shed.counts()).containsExactly(Map.entry("Probe:MAX_ACTIVATIONS", 6));
    }

    @Test
    void atOrBelowMaxActivationsNothingIsShed() {
        ActorRuntime runtime = probes(builder().maxActivations(10));
        activate(runtime, 10);

        assertThat(runtime.collectIdleActivations()).isZero();

        assertThat(runtime.activationCount()).isEqualTo(10);
        assertThat(this.shed.counts()).isEmpty();
    }

    @Test
    void anActivationWithATurnInProgressIsNotShedEvenWhenItIsTheLeastRecentlyUsed() {
        ActorRuntime runtime = probes(builder().maxActivations(2));
        Probe busy = runtime.get(Probe.class, "busy");
        CompletableFuture<String> turn = CompletableFuture.supplyAsync(() -> busy.block("busy"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.isActive(Probe.class, "busy"));
        activate(runtime, 3);

        assertThat(runtime.collectIdleActivations()).isEqualTo(2);

        assertThat(runtime.isActive(Probe.class, "busy")).isTrue();
        assertThat(active(runtime, 3)).containsExactly("p2");
        this.environment.open("busy");
        assertThat(turn).succeedsWithin(Duration.ofSeconds(5)).isEqualTo("busy");
        assertThat(this.environment.log()).doesNotContain("busy:deactivate:IDLE");
    }

    @Test
    void memoryPressureShedsPastTheLimitAndUntilTheTargetOncePerCollection() {
        ActorRuntime runtime = probes(builder().memoryPressure(80, 60).heapUsage(this.heap::get));
        activate(runtime, 10);

        this.heap.set(new HeapReading(70, 100, 1));
        assertThat(runtime.collectIdleActivations()).as("below the limit").isZero();

        this.heap.set(new HeapReading(85, 100, 2));
        assertThat(runtime.collectIdleActivations()).as("over the limit: ceil(10 x 25 / 85)").isEqualTo(3);
        assertThat(active(runtime, 10)).containsExactly("p3", "p4", "p5", "p6", "p7", "p8", "p9");

        assertThat(runtime.collectIdleActivations()).as("no collection has measured the heap since").isZero();

        this.heap.set(new HeapReading(75, 100, 3));
        assertThat(runtime.collectIdleActivations()).as("below the limit, above the target: ceil(7 x 15 / 75)")
            .isEqualTo(2);
        assertThat(active(runtime, 10)).containsExactly("p5", "p6", "p7", "p8", "p9");

        this.heap.set(new HeapReading(60, 100, 4));
        assertThat(runtime.collectIdleActivations()).as("target reached").isZero();

        this.heap.set(new HeapReading(75, 100, 5));
        assertThat(runtime.collectIdleActivations()).as("between target and limit, no longer shedding").isZero();
        assertThat(runtime.activationCount()).isEqualTo(5);
        assertThat(this.shed.counts()).containsExactly(Map.entry("Probe:MEMORY_PRESSURE", 5));
    }

    @Test
    void anUnknownMaximumHeapShedsNothing() {
        ActorRuntime runtime = probes(builder().memoryPressure(80, 60).heapUsage(this.heap::get));
        activate(runtime, 4);
        this.heap.set(new HeapReading(Long.MAX_VALUE, 0, 1));

        assertThat(runtime.collectIdleActivations()).isZero();
        assertThat(runtime.activationCount()).isEqualTo(4);
    }

    @Test
    void theRuntimeChecksTheLimitsByItselfEveryCheckInterval() {
        ActorRuntime runtime = probes(ActorRuntime.builder()
            .idleTimeout(LONG)
            .collectionInterval(LONG)
            .maxActivations(5)
            .sheddingCheckInterval(Duration.ofMillis(20)));
        IntStream.range(0, 10).forEach((i) -> runtime.get(Probe.class, "p" + i).overlap());

        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.activationCount() <= 4);
    }

    @Test
    void aShedActivationRunsOnDeactivateWithReasonIdleAndItsStateIsSavedAsOnAnyDeactivation() {
        InMemoryStateStore store = new InMemoryStateStore();
        ActorRuntime runtime = start(builder().maxActivations(1)
            .actor(TallyActor.class, TallyActor::new)
            .activationHook(new StateActivationHook(StateStoreRegistry.of(store), new JsonStateSerializer())));
        Tally old = runtime.get(Tally.class, "old");
        old.add(3);
        old.add(4);
        this.clock.advance(Duration.ofSeconds(1));
        runtime.get(Tally.class, "recent").add(1);

        assertThat(runtime.collectIdleActivations()).isEqualTo(2);

        assertThat(TallyActor.deactivations).contains("old:IDLE", "recent:IDLE");
        assertThat(runtime.get(Tally.class, "old").saved()).isEqualTo(7);
        assertThat(runtime.get(Tally.class, "recent").saved()).isEqualTo(1);
    }

    @Test
    void invalidLimitsAreRejectedNamingTheSettingAndTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().maxActivations(0))
            .withMessage("maxActivations must be positive, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().memoryPressure(100, 50))
            .withMessage("memoryPressure limitPercent must be between 1 and 99, was 100");
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().memoryPressure(80, 0))
            .withMessage("memoryPressure targetPercent must be between 1 and 99, was 0");
        assertThatIllegalArgumentException().isThrownBy(() -> ActorRuntime.builder().memoryPressure(75, 75))
            .withMessage("memoryPressure targetPercent must be below the limit (75), was 75");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActorRuntime.builder().sheddingCheckInterval(Duration.ZERO))
            .withMessage("sheddingCheckInterval must be positive, was PT0S");
    }

    private ActorRuntime.Builder builder() {
        return ActorRuntime.builder()
            .clock(this.clock)
            .idleTimeout(LONG)
            .collectionInterval(LONG)
            .sheddingCheckInterval(LONG)
            .metrics(this.shed);
    }

    private ActorRuntime probes(ActorRuntime.Builder builder) {
        return start(builder.actor(ProbeActor.class, () -> new ProbeActor(this.environment)));
    }

    private ActorRuntime start(ActorRuntime.Builder builder) {
        ActorRuntime runtime = builder.build();
        this.runtimes.add(runtime);
        this.environment.actors().set(runtime);
        return runtime;
    }

    /** Activates p0..p(n-1), each used one clock step after the one before. */
    private void activate(ActorRuntime runtime, int count) {
        for (int i = 0; i < count; i++) {
            touch(runtime, "p" + i);
        }
    }

    private void touch(ActorRuntime runtime, String id) {
        this.clock.advance(Duration.ofSeconds(1));
        runtime.get(Probe.class, id).overlap();
    }

    private static List<String> active(ActorRuntime runtime, int count) {
        return IntStream.range(0, count)
            .mapToObj((i) -> "p" + i)
            .filter((id) -> runtime.isActive(Probe.class, id))
            .toList();
    }

    /** Records shed activations as "type:trigger" counts. */
    static final class ShedCounts implements ActorMetrics {

        private final Map<String, Integer> counts = new ConcurrentHashMap<>();

        Map<String, Integer> counts() {
            return this.counts;
        }

        @Override
        public CallMetrics forMethod(Class<? extends Actor> contract, String method) {
            return CallMetrics.NONE;
        }

        @Override
        public void activationsShed(String actorType, SheddingTrigger trigger, int count) {
            this.counts.merge(actorType + ":" + trigger, count, Integer::sum);
        }
    }

    public interface Tally extends Actor {

        /** Adds to the unsaved running total. */
        void add(int amount);

        /** Returns the total the activation loaded from its state. */
        int saved();
    }

    /** Keeps its total in memory and saves it only when it is deactivated. */
    @QuarkActor
    static class TallyActor extends AbstractActor implements Tally {

        static final List<String> deactivations = new CopyOnWriteArrayList<>();

        @ActorState
        private PersistentState<Total> total;

        private int running;

        private int loaded;

        @Override
        protected void onActivate() {
            this.loaded = this.total.getOrElse(new Total(0)).value();
            this.running = this.loaded;
        }

        @Override
        protected void onDeactivate(DeactivationReason reason) {
            deactivations.add(actorId() + ":" + reason);
            this.total.set(new Total(this.running));
            this.total.save();
        }

        @Override
        public void add(int amount) {
            this.running += amount;
        }

        @Override
        public int saved() {
            return this.loaded;
        }
    }

    public record Total(int value) {
    }
}
