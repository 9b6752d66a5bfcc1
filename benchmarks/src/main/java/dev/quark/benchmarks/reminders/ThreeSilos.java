package dev.quark.benchmarks.reminders;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.cluster.TestCluster;
import dev.quark.testkit.cluster.TestSilo;

/**
 * Three silos of a {@link TestCluster} (in-JVM transport and membership) on one table, each firing the buckets the
 * hash ring gives it under bucket leases (an in-memory lease store), as {@code ReminderHandOverTests} runs them but
 * in real time. A tick goes from its bucket's silo to the silo of its actor, two times in three another one.
 */
final class ThreeSilos implements Silos {

    private static final int SILOS = 3;

    private static final Duration SETTLE = Duration.ofSeconds(60);

    private final Map<String, ReminderRegistry> registries = new ConcurrentHashMap<>();

    private final Map<String, ReminderTickManager> managers = new LinkedHashMap<>();

    private final TestCluster cluster;

    ThreeSilos(ReminderTable table, TickLog log, ReminderSettings settings) throws InterruptedException {
        Clock clock = Clock.systemUTC();
        this.cluster = TestCluster.builder()
            .silos(SILOS)
            .actor(BeeperActor.class, () -> new BeeperActor(log))
            .runtime((siloId, runtime) -> runtime.idleTimeout(Duration.ofHours(1))
                .reminders(this.registries.computeIfAbsent(siloId, (id) -> new ReminderRegistry(table, clock))))
            .build();
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!this.cluster.silos().stream().allMatch((silo) -> silo.views().current().ring().silos().size() == SILOS)) {
            waitUntil(deadline, "every silo sees " + SILOS + " silos");
        }
        InMemoryLeaseStore leases = new InMemoryLeaseStore(clock);
        for (TestSilo silo : this.cluster.silos()) {
            ReminderTickManager manager = ReminderTickManager.builder(table, silo.runtime())
                .registry(Objects.requireNonNull(this.registries.get(silo.siloId())))
                .settings(settings)
                .ownership(() -> bucketsOf(silo.siloId(), silo.views().current()))
                .leases(leases, silo.siloId(), Duration.ofSeconds(10))
                .build();
            this.managers.put(silo.siloId(), manager);
            silo.views().subscribe((view) -> manager.ownershipChanged());
        }
    }

    @Override
    public void start() throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        this.managers.values().forEach(ReminderTickManager::start);
        while (stats().ownedBuckets() != ReminderBuckets.COUNT) {
            waitUntil(deadline, "the silos hold the leases of all " + ReminderBuckets.COUNT + " buckets");
        }
    }

    private static void waitUntil(long deadline, String what) throws InterruptedException {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Not within " + SETTLE + ": " + what);
        }
        Thread.sleep(50);
    }

    private static ReminderBucketSet bucketsOf(String siloId, ClusterView view) {
        List<Integer> buckets = new ArrayList<>();
        for (int bucket = 0; bucket < ReminderBuckets.COUNT; bucket++) {
            if (siloId.equals(view.ring().ownerOf(ReminderBuckets.firstHash(bucket)))) {
                buckets.add(bucket);
            }
        }
        return ReminderBucketSet.of(buckets);
    }

    @Override
    public ReminderRegistry registryFor(ActorAddress actor) {
        String owner = this.cluster.silo(0).views().current().ring().ownerOf(
                ReminderBuckets.firstHash(ReminderBuckets.of(actor)));
        return Objects.requireNonNull(this.registries.get(owner), () -> "No silo " + owner);
    }

    @Override
    public ReminderTickManager.Stats stats() {
        return Silos.sum(this.managers.values());
    }

    @Override
    public void close() {
        this.managers.values().forEach(ReminderTickManager::close);
        this.cluster.close();
    }
}
