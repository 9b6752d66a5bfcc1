package dev.quark.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.StatelessWorker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Calls racing into a stateless worker's pool: each goes to its own worker while the pool has room, whether
 * the workers are still to be created or idle, and the pool never grows past its size.
 */
class StatelessWorkerRaceTests {

    private static final int POOL_SIZE = 3;

    private static final int CALLERS = POOL_SIZE + 2;

    private static final int ROUNDS = 50;

    private final AtomicInteger instances = new AtomicInteger();

    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();

    private final Map<String, CountDownLatch> releases = new ConcurrentHashMap<>();

    private final ActorRuntime runtime = ActorRuntime.builder()
        .actor(RacedPoolActor.class,
                () -> new RacedPoolActor(this.instances.incrementAndGet(), this.running, this.releases))
        .build();

    private final ExecutorService callers = Executors.newFixedThreadPool(CALLERS);

    @AfterEach
    void close() {
        this.releases.values().forEach(CountDownLatch::countDown);
        this.runtime.close();
        this.callers.shutdownNow();
    }

    @Test
    void racingFirstCallsEachCreateTheirOwnWorkerUpToThePoolSize() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            raceInto("first-" + round, (round + 1) * POOL_SIZE);
        }
    }

    @Test
    void racingCallsIntoAnIdlePoolEachTakeTheirOwnWorker() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            raceInto("idle", POOL_SIZE);
        }
    }

    /**
     * Lets {@link #CALLERS} calls to one pool go at once, each holding its worker until released, and checks
     * the pool while they wait: as many workers as the pool size, each running one call, the rest queued.
     * @param id the pool
     * @param activations how many activations the runtime has while the round's calls wait
     */
    private void raceInto(String id, int activations) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runningCalls = new AtomicInteger();
        this.releases.put(id, release);
        this.running.put(id, runningCalls);
        RacedPool pool = this.runtime.get(RacedPool.class, id);
        CyclicBarrier start = new CyclicBarrier(CALLERS);
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            calls.add(this.callers.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return pool.hold();
            }));
        }
        // Calls that queue behind a worker still ending the last round's turn start a moment later; calls
        // that queue behind a worker which another racing call holds would wait for the release.
        // Checked every few milliseconds rather than Awaitility's default 100 ms: fifty rounds each wait for it.
        await().atMost(Duration.ofSeconds(5))
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(5))
            .untilAsserted(() -> assertThat(List.of(runningCalls.get(),
                    this.runtime.queuedMessages(RacedPool.class, id)))
                .as("calls running and queued in pool %s", id)
                .containsExactly(POOL_SIZE, CALLERS - POOL_SIZE));
        assertThat(this.runtime.activationCount()).as("activations with pool %s", id).isEqualTo(activations);
        release.countDown();
        Set<String> workers = new HashSet<>();
        for (Future<String> call : calls) {
            workers.add(call.get(10, TimeUnit.SECONDS));
        }
        assertThat(workers).as("workers that answered in pool %s", id).hasSize(POOL_SIZE);
        this.running.remove(id);
    }

    public interface RacedPool extends Actor {

        /** Waits for the round's release, then answers id@instance. */
        String hold();
    }

    @QuarkActor
    @StatelessWorker(maxLocalActivations = POOL_SIZE)
    public static class RacedPoolActor extends AbstractActor implements RacedPool {

        private final int instance;

        private final Map<String, AtomicInteger> running;

        private final Map<String, CountDownLatch> releases;

        public RacedPoolActor(int instance, Map<String, AtomicInteger> running,
                Map<String, CountDownLatch> releases) {
            this.instance = instance;
            this.running = running;
            this.releases = releases;
        }

        @Override
        public String hold() {
            AtomicInteger calls = this.running.get(actorId());
            calls.incrementAndGet();
            try {
                if (!this.releases.get(actorId()).await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not released");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            finally {
                calls.decrementAndGet();
            }
            return actorId() + "@" + this.instance;
        }
    }
}
