package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;

import static org.awaitility.Awaitility.await;

/**
 * Callers on virtual threads that keep adding 1 to random ledgers through a reference from a random entry silo
 * until stopped. Per ledger they count the calls that succeeded (acknowledged) and those that failed without
 * telling whether they ran (unknown); every failure is kept. The test changes the entry silos as silos come
 * and go, and retires one before it stops it, as a load balancer drains a node.
 */
final class LedgerCallers implements AutoCloseable {

    /** The longest the callers run, however long the test takes to stop them. */
    private static final Duration MAX_RUN = Duration.ofSeconds(120);

    private final List<String> ids;

    private final Predicate<Throwable> ranNowhere;

    private final Map<String, AtomicLong> acknowledged = new ConcurrentHashMap<>();

    private final Map<String, AtomicLong> unknown = new ConcurrentHashMap<>();

    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private final AtomicLong calls = new AtomicLong();

    private final List<AtomicReference<@Nullable TestSilo>> inFlight;

    private final List<Thread> threads;

    private volatile List<TestSilo> entryPoints;

    private volatile boolean running = true;

    /**
     * Starts the callers.
     * @param count how many callers
     * @param ids the ledgers they call
     * @param entryPoints the silos they call through, at first
     * @param ranNowhere tells the failures that say the call did not run from those whose outcome is unknown
     */
    LedgerCallers(int count, List<String> ids, List<TestSilo> entryPoints, Predicate<Throwable> ranNowhere) {
        this.ids = ids;
        this.entryPoints = List.copyOf(entryPoints);
        this.ranNowhere = ranNowhere;
        this.inFlight = IntStream.range(0, count)
            .mapToObj((i) -> new AtomicReference<@Nullable TestSilo>())
            .toList();
        this.threads = IntStream.range(0, count)
            .mapToObj((i) -> Thread.ofVirtual().name("ledger-caller-" + i).start(() -> call(this.inFlight.get(i))))
            .toList();
    }

    private void call(AtomicReference<@Nullable TestSilo> inFlight) {
        long until = System.nanoTime() + MAX_RUN.toNanos();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (this.running && System.nanoTime() < until) {
            List<TestSilo> silos = this.entryPoints;
            TestSilo silo = silos.get(random.nextInt(silos.size()));
            inFlight.set(silo);
            if (!this.entryPoints.contains(silo)) {
                inFlight.set(null);
                continue;
            }
            String id = this.ids.get(random.nextInt(this.ids.size()));
            try {
                silo.get(Ledger.class, id).add(1);
                count(this.acknowledged, id);
            }
            catch (RuntimeException ex) {
                this.failures.add(ex);
                if (!this.ranNowhere.test(ex)) {
                    count(this.unknown, id);
                }
            }
            finally {
                inFlight.set(null);
            }
            this.calls.incrementAndGet();
        }
    }

    private static void count(Map<String, AtomicLong> counts, String id) {
        counts.computeIfAbsent(id, (key) -> new AtomicLong()).incrementAndGet();
    }

    /** Calls from now on go through these silos. */
    void enterThrough(List<TestSilo> silos) {
        this.entryPoints = List.copyOf(silos);
    }

    /**
     * Stops calling through a silo and waits until the calls made through it have ended.
     * @param silo the silo to drain
     * @param timeout how long to wait at most
     */
    void retire(TestSilo silo, Duration timeout) {
        this.entryPoints = this.entryPoints.stream().filter((entry) -> entry != silo).toList();
        awaitAtMost(timeout).until(() -> this.inFlight.stream().noneMatch((entry) -> entry.get() == silo));
    }

    /** Waits until the callers have made {@code more} calls from now, succeeded or failed. */
    void awaitMoreCalls(long more, Duration timeout) {
        long from = this.calls.get();
        awaitAtMost(timeout).until(() -> this.calls.get() >= from + more);
    }

    /**
     * Waits without failing on what other threads throw: the callers record their calls' failures themselves,
     * and a membership watch closing with its silo may end a late hint's thread with an exception (the Redis
     * watch's executor cancels the tasks it is handed after it closed), which says nothing about the calls.
     */
    static ConditionFactory awaitAtMost(Duration timeout) {
        return await().dontCatchUncaughtExceptions().atMost(timeout);
    }

    long calls() {
        return this.calls.get();
    }

    long acknowledged(String id) {
        AtomicLong count = this.acknowledged.get(id);
        return (count != null) ? count.get() : 0;
    }

    long unknown(String id) {
        AtomicLong count = this.unknown.get(id);
        return (count != null) ? count.get() : 0;
    }

    List<Throwable> failures() {
        return this.failures;
    }

    /** Stops the callers and waits for their last calls. */
    @Override
    public void close() {
        this.running = false;
        for (Thread thread : this.threads) {
            try {
                if (!thread.join(TallyEnvironment.timeout())) {
                    throw new IllegalStateException(thread + " did not end within " + TallyEnvironment.timeout()
                            + ": its call hangs at " + List.of(thread.getStackTrace()));
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
