package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Callers that keep adding 1 to random tallies through random silos until stopped, counting what succeeded
 * per tally and keeping what failed.
 */
final class Callers implements AutoCloseable {

    /** The longest the callers run, however long the test takes to stop them. */
    private static final Duration MAX_RUN = Duration.ofSeconds(60);

    private final List<String> ids;

    private final Supplier<List<TestSilo>> entryPoints;

    private final Map<String, AtomicLong> added = new ConcurrentHashMap<>();

    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private final AtomicInteger calls = new AtomicInteger();

    private final List<Thread> threads;

    private volatile boolean running = true;

    Callers(int count, List<String> ids, Supplier<List<TestSilo>> entryPoints) {
        this.ids = ids;
        this.entryPoints = entryPoints;
        this.threads = IntStream.range(0, count)
            .mapToObj((i) -> Thread.ofVirtual().name("caller-" + i).start(this::call))
            .toList();
    }

    private void call() {
        long until = System.nanoTime() + MAX_RUN.toNanos();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (this.running && System.nanoTime() < until) {
            List<TestSilo> silos = this.entryPoints.get();
            TestSilo silo = silos.get(random.nextInt(silos.size()));
            String id = this.ids.get(random.nextInt(this.ids.size()));
            try {
                silo.get(Tally.class, id).add(1);
                this.added.computeIfAbsent(id, (key) -> new AtomicLong()).incrementAndGet();
            }
            catch (RuntimeException ex) {
                this.failures.add(ex);
            }
            this.calls.incrementAndGet();
        }
    }

    /** How many calls were made so far, succeeded or failed. */
    int calls() {
        return this.calls.get();
    }

    long added(String id) {
        AtomicLong count = this.added.get(id);
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
                thread.join(TallyEnvironment.timeout());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
