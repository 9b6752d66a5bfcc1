package dev.quark.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.quark.runtime.fixtures.Counter;
import dev.quark.runtime.fixtures.CounterActor;
import dev.quark.runtime.fixtures.Probe;
import dev.quark.runtime.fixtures.ProbeActor;
import dev.quark.runtime.fixtures.ProbeEnvironment;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ActorRuntimeConcurrencyTests {

    private final ProbeEnvironment environment = new ProbeEnvironment();

    @AutoClose
    private final ActorRuntime runtime = runtimeBuilder()
        .actor(CounterActor.class)
        .actor(ProbeActor.class, () -> new ProbeActor(this.environment))
        .build();

    @Test
    void thousandConcurrentCallersIncrementingOneActorLoseNoUpdate() throws Exception {
        runConcurrently(1_000, (caller) -> {
            Counter counter = this.runtime.get(Counter.class, "shared");
            for (int i = 0; i < 100; i++) {
                counter.increment();
            }
        });
        assertThat(this.runtime.get(Counter.class, "shared").get()).isEqualTo(100_000);
    }

    @Test
    void thousandConcurrentCallersSpreadOverThousandActorsLeaveEachExact() throws Exception {
        runConcurrently(1_000, (caller) -> {
            for (int i = 0; i < 100; i++) {
                this.runtime.get(Counter.class, "c-" + ((caller + i) % 1_000)).increment();
            }
        });
        List<Long> values = IntStream.range(0, 1_000)
            .mapToObj((id) -> this.runtime.get(Counter.class, "c-" + id).get())
            .toList();
        assertThat(values).hasSize(1_000).containsOnly(100L);
        assertThat(this.runtime.activationCount()).isEqualTo(1_000);
    }

    @Test
    void turnsOfOneActivationNeverOverlap() throws Exception {
        List<Integer> overlaps = java.util.Collections.synchronizedList(new ArrayList<>());
        runConcurrently(200, (caller) -> {
            Probe probe = this.runtime.get(Probe.class, "isolated");
            for (int i = 0; i < 50; i++) {
                overlaps.add(probe.overlap());
            }
        });
        assertThat(overlaps).hasSize(10_000).containsOnly(1);
    }

    @Test
    void concurrentFirstCallsCreateOneActivation() throws Exception {
        runConcurrently(1_000, (caller) -> this.runtime.get(Probe.class, "storm").overlap());
        assertThat(this.environment.activations()).hasValue(1);
        assertThat(this.runtime.activationCount()).isEqualTo(1);
    }

    @Test
    void oneWayMessagesFromOneCallerRunInOrderBeforeItsNextCall() {
        Counter counter = this.runtime.get(Counter.class, "ordered");
        for (int i = 1; i <= 500; i++) {
            counter.add(i);
        }
        assertThat(counter.get()).isEqualTo(500L * 501 / 2);
    }

    private void runConcurrently(int callers, CallerBody body) throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int caller = 0; caller < callers; caller++) {
                int id = caller;
                futures.add(executor.submit(() -> {
                    body.run(id);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        }
    }

    @FunctionalInterface
    interface CallerBody {

        void run(int caller) throws Exception;
    }

    /** Starts the builder of every runtime these tests make; a subclass runs them on another turn scheduler. */
    ActorRuntime.Builder runtimeBuilder() {
        return ActorRuntime.builder();
    }
}
