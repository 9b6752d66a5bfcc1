package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.ActorRefFactory;
import dev.quark.actor.DeactivationReason;

/**
 * What the tallies of one test cluster share across silos: the store they save their totals in, the record
 * of their activations (how many are alive per actor, and whether two ever were at once), the gates tests
 * hold turns on, and each silo's references.
 */
public final class TallyEnvironment {

    private final Map<String, Long> store = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> alive = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> activations = new ConcurrentHashMap<>();

    private final List<String> duplicates = new CopyOnWriteArrayList<>();

    private final List<String> log = new CopyOnWriteArrayList<>();

    private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

    private final Map<String, ActorRefFactory> silos = new ConcurrentHashMap<>();

    private final Map<String, CyclicBarrier> meetings = new ConcurrentHashMap<>();

    private final Map<String, List<String>> arrivals = new ConcurrentHashMap<>();

    private final Set<String> failingActivations = ConcurrentHashMap.newKeySet();

    void activated(String id, String siloId) {
        int now = this.alive.computeIfAbsent(id, (key) -> new AtomicInteger()).incrementAndGet();
        this.activations.computeIfAbsent(id, (key) -> new AtomicInteger()).incrementAndGet();
        this.log.add("activate " + id + " on " + siloId);
        if (now > 1) {
            this.duplicates.add(id + " on " + siloId + " while " + (now - 1) + " other activation(s) were alive");
        }
    }

    void deactivated(String id, String siloId, DeactivationReason reason) {
        this.alive.get(id).decrementAndGet();
        this.log.add("deactivate " + id + " on " + siloId + " (" + reason + ")");
    }

    long load(String id) {
        return this.store.getOrDefault(id, 0L);
    }

    void save(String id, long total) {
        this.store.put(id, total);
    }

    void await(String gate) {
        CountDownLatch latch = this.gates.computeIfAbsent(gate, (key) -> new CountDownLatch(1));
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Gate " + gate + " stayed closed");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Waits until {@code parties} turns arrived at a meeting. */
    void meet(String meeting, int parties) {
        CyclicBarrier barrier = this.meetings.computeIfAbsent(meeting, (key) -> new CyclicBarrier(parties));
        try {
            barrier.await(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        catch (BrokenBarrierException | TimeoutException ex) {
            throw new IllegalStateException("Meeting " + meeting + " did not gather " + parties + " turns", ex);
        }
    }

    /** Records that a turn arrived at a gate (or a key) on a silo. */
    void arrived(String gate, String siloId) {
        this.arrivals.computeIfAbsent(gate, (key) -> new CopyOnWriteArrayList<>()).add(siloId);
    }

    /** The silos turns arrived at a gate (or a key) on, in order of arrival. */
    public List<String> arrivals(String gate) {
        return this.arrivals.getOrDefault(gate, List.of());
    }

    /** Whether a turn waits at the gate (or passed it). */
    public boolean reached(String gate) {
        return this.gates.containsKey(gate);
    }

    public void open(String gate) {
        this.gates.computeIfAbsent(gate, (key) -> new CountDownLatch(1)).countDown();
    }

    public void openAll() {
        this.gates.values().forEach(CountDownLatch::countDown);
    }

    public void silo(String siloId, ActorRefFactory actors) {
        this.silos.put(siloId, actors);
    }

    ActorRefFactory actors(String siloId) {
        return this.silos.get(siloId);
    }

    /** Makes the next activation of an actor ("type:id") that checks it fail (see {@link ChickActor}). */
    public void failNextActivation(String id) {
        this.failingActivations.add(id);
    }

    boolean takeActivationFailure(String id) {
        return this.failingActivations.remove(id);
    }

    /** Activations that started while another one of the same actor was alive. */
    public List<String> duplicates() {
        return this.duplicates;
    }

    /** How many times an actor was activated, on any silo. */
    public int activations(String id) {
        AtomicInteger count = this.activations.get(id);
        return (count != null) ? count.get() : 0;
    }

    public int alive(String id) {
        AtomicInteger count = this.alive.get(id);
        return (count != null) ? count.get() : 0;
    }

    public List<String> log() {
        return this.log;
    }

    static Duration timeout() {
        return Duration.ofSeconds(10);
    }
}
