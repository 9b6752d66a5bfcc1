package dev.quark.testkit.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.actor.ReminderSchedule;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.ring.HashRing;
import dev.quark.lease.FencingToken;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderDelivery;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderRegistry;
import dev.quark.reminder.ReminderSettings;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.ManualScheduler;
import dev.quark.testkit.cluster.TestCluster;
import dev.quark.testkit.cluster.TestSilo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Reminder buckets handed over between the silos of a {@link TestCluster} through leases, in virtual time, on a
 * table each backend gives: a killed silo's reminders go on firing on the survivors, a joining silo takes its share
 * back, and no scheduled instant is delivered twice or lost on the way, also while the silos' views of the cluster
 * differ. The bucket leases stay in an in-memory store on the test's clock (as in {@link ReminderClusterRestartTests}):
 * a real store's leases expire on the server's time, which virtual time cannot move.
 */
abstract class ReminderHandOverTests {

    private static final Instant START = ManualClock.DEFAULT_START;

    private static final Duration PERIOD = Duration.ofSeconds(10);

    private static final Duration LEASE = Duration.ofSeconds(3);

    /** How long the test lets pass between a kill and the survivors' learning it: failure detection. */
    private static final Duration DETECTION = Duration.ofSeconds(4);

    private static final int REMINDERS = 1000;

    private static final Duration STEP = Duration.ofMillis(100);

    /** The longest wait between two attempts of a tick that did not reach its actor. */
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(2);

    private static final int CRASH_REMINDERS = 300;

    /** How far apart the first instants of the reminders are spread over the period. */
    private static final Duration SPREAD = STEP;

    /**
     * How long, in real time, a call that cannot reach the killed silo waits for a newer view before it fails (the
     * router's catch-up, a second in production): each fire round that calls the killed silo before it is declared
     * dead waits that long, and the in-JVM membership is read well within it.
     */
    private static final Duration CATCH_UP = Duration.ofMillis(100);

    /**
     * The spread in the crash test: each fire round that calls the crashed silo before it is declared dead waits
     * the {@link #CATCH_UP} in real time, so ticks due on every 100 ms step would cost about 80 of them; ticks due on
     * whole seconds, with their retries on the half seconds between, meet the same crash with about a tenth of those
     * rounds.
     */
    private static final Duration CRASH_SPREAD = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock();

    private final ManualScheduler scheduler = new ManualScheduler(this.clock);

    private final PagerEnvironment environment = new PagerEnvironment(this.clock);

    private ReminderTable table;

    private final InMemoryLeaseStore leaseStore = new InMemoryLeaseStore(this.clock);

    private final Map<String, ReminderRegistry> registries = new ConcurrentHashMap<>();

    private final Map<String, ReminderTickManager> managers = new ConcurrentHashMap<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    private TestCluster cluster;

    /** The managers' longest wait between two attempts of a tick that did not reach its actor. */
    private Duration maxBackoff = RETRY_BACKOFF;

    /**
     * Returns the table the silos of one test share: a new, empty one (its buckets unstamped, no reminder of an
     * earlier test in it), whose registrations are dated by the given clock.
     * @param clock the test's virtual clock
     * @return the table
     */
    protected abstract ReminderTable table(Clock clock);

    @BeforeEach
    void createTable() {
        this.table = table(this.clock);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : this.closeables) {
            closeable.close();
        }
        this.managers.values().forEach(ReminderTickManager::close);
        if (this.cluster != null) {
            this.cluster.close();
        }
    }

    @Test
    void aKilledSilosRemindersFireOnTheSurvivorsAndAJoiningSiloTakesItsShareWithoutADoubleOrLostInstant() {
        this.cluster = TestCluster.builder()
            .silos(3)
            .clock(this.clock)
            .routing((routing) -> routing.catchUpWait(CATCH_UP))
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .runtime((siloId, runtime) -> runtime.scheduler(this.scheduler)
                .idleTimeout(Duration.ofDays(400))
                .reminders(this.registries.computeIfAbsent(siloId, (id) -> new ReminderRegistry(this.table, this.clock))))
            .build();
        this.cluster.silos().forEach(this::startManager);
        settle(3);
        HashRing ring = this.cluster.silo(0).views().current().ring();
        List<String> ids = idsWhoseBucketAndActorHaveOneOwner(ring);
        for (int i = 0; i < ids.size(); i++) {
            Instant first = START.plus(PERIOD).plusMillis(firstOffsetMillis(i, SPREAD));
            this.cluster.silo(i % 3).get(Pager.class, ids.get(i)).everyFrom("beat", PERIOD.toMillis(), first.toEpochMilli());
        }
        run(Duration.ofSeconds(25));
        assertThat(this.environment.log()).as("first ticks of all, second ticks of half").hasSizeGreaterThan(REMINDERS);

        this.cluster.killSilo(1);
        this.managers.remove("silo-1").halt();
        run(DETECTION);
        this.cluster.declareDead(1);
        settle(2);
        run(Duration.ofSeconds(31));
        Instant killedAt = START.plusSeconds(25);
        assertEveryInstantOnceUpTo(ids, this.clock.instant().minus(PERIOD), killedAt, DETECTION.plus(PERIOD));
        assertThat(this.managers.get("silo-0").ownedBuckets().size() + this.managers.get("silo-2").ownedBuckets().size())
            .isEqualTo(ReminderBuckets.COUNT);

        this.cluster.silo(0).holdViews();
        TestSilo joined = this.cluster.addSilo();
        startManager(joined);
        run(Duration.ofSeconds(20));
        assertThat(this.managers.get("silo-3").ownedBuckets().size() + this.managers.get("silo-2").ownedBuckets().size()
                + this.managers.get("silo-0").ownedBuckets().size())
            .as("silo-0 still fires what its old view gives it; silo-3 waits for the leases").isEqualTo(ReminderBuckets.COUNT);
        this.cluster.silo(0).releaseViews();
        this.cluster.silo(0).views().refreshIfOlderThan(Long.MAX_VALUE);
        this.managers.get("silo-0").ownershipChanged();
        run(Duration.ofSeconds(20));
        assertThat(this.managers.get("silo-3").ownedBuckets().size()).as("the joined silo took its share").isPositive();
        assertThat(this.managers.values().stream().mapToInt((manager) -> manager.ownedBuckets().size()).sum())
            .isEqualTo(ReminderBuckets.COUNT);
        assertEveryInstantOnceUpTo(ids, this.clock.instant().minus(PERIOD), killedAt, DETECTION.plus(PERIOD));
    }

    @Test
    void aCrashOfTheActorsSiloLosesNoInstantOfTheRemindersOtherSilosFire() {
        this.cluster = TestCluster.builder()
            .silos(3)
            .clock(this.clock)
            .routing((routing) -> routing.catchUpWait(CATCH_UP))
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .runtime((siloId, runtime) -> runtime.scheduler(this.scheduler)
                .idleTimeout(Duration.ofDays(400))
                .reminders(this.registries.computeIfAbsent(siloId, (id) -> new ReminderRegistry(this.table, this.clock))))
            .build();
        this.cluster.silos().forEach(this::startManager);
        settle(3);
        HashRing ring = this.cluster.silo(0).views().current().ring();
        List<String> ids = idsOnOneSiloWithTheirBucketOnAnother(ring, "silo-1", CRASH_REMINDERS);
        for (int i = 0; i < ids.size(); i++) {
            Instant first = START.plus(PERIOD).plusMillis(firstOffsetMillis(i, CRASH_SPREAD));
            this.cluster.silo(i % 3).get(Pager.class, ids.get(i)).everyFrom("beat", PERIOD.toMillis(), first.toEpochMilli());
        }
        run(Duration.ofSeconds(25));

        this.cluster.killSilo(1);
        this.managers.remove("silo-1").halt();
        run(DETECTION);
        long undelivered = this.managers.values().stream().mapToLong((manager) -> manager.stats().undelivered()).sum();
        this.cluster.declareDead(1);
        settle(2);
        run(Duration.ofSeconds(31));
        assertEveryInstantOnceUpTo(ids, CRASH_REMINDERS, CRASH_SPREAD, this.clock.instant().minus(PERIOD),
                START.plusSeconds(25), DETECTION.plus(RETRY_BACKOFF.multipliedBy(2)));
        assertThat(this.managers.values().stream().mapToLong((manager) -> manager.stats().failed()).sum()).isZero();
        assertThat(undelivered).as("ticks of actors on the killed silo were not delivered until it was declared dead")
            .isPositive();
    }

    /**
     * Two pagers on silo-0 call, from their {@code receiveReminder}, a pager on silo-1, which is killed: that call
     * fails with an {@code ActorUnreachableException}, which escapes their turns. Their ticks ran, so they count as
     * failed and their schedule goes on (one fired by silo-0 itself, one by silo-2, across the wire); a tick of the
     * pager on silo-1 never reaches a turn, so it is not delivered and its instant is tried again.
     */
    @Test
    void anUnreachableCallInsideReceiveReminderCountsFailedWhileATickThatCannotReachItsActorIsTriedAgain() {
        // Each attempt to reach the killed silo waits the CATCH_UP in real time for a newer view: fewer retries
        // (still six) keep the test short without changing what it shows.
        this.maxBackoff = Duration.ofSeconds(8);
        this.cluster = TestCluster.builder()
            .silos(3)
            .clock(this.clock)
            .routing((routing) -> routing.catchUpWait(CATCH_UP))
            .actor(PagerActor.class, () -> new PagerActor(this.environment))
            .runtime((siloId, runtime) -> runtime.scheduler(this.scheduler)
                .idleTimeout(Duration.ofDays(400))
                .reminders(this.registries.computeIfAbsent(siloId, (id) -> new ReminderRegistry(this.table, this.clock))))
            .build();
        this.cluster.silos().forEach(this::startManager);
        settle(3);
        HashRing ring = this.cluster.silo(0).views().current().ring();
        String unreachable = idLivingOn(ring, "u-", "silo-1", "silo-0");
        String firedHere = idLivingOn(ring, "h-", "silo-0", "silo-0");
        String firedElsewhere = idLivingOn(ring, "e-", "silo-0", "silo-2");
        Instant first = START.plus(PERIOD);
        for (String id : List.of(unreachable, firedHere, firedElsewhere)) {
            this.cluster.silo(0).get(Pager.class, id).everyFrom("beat", PERIOD.toMillis(), first.toEpochMilli());
        }
        for (String id : List.of(firedHere, firedElsewhere)) {
            this.environment.on(id + "/beat",
                    (actor, status) -> this.cluster.silo(0).get(Pager.class, unreachable).touch());
        }
        this.cluster.killSilo(1);
        this.managers.remove("silo-1").halt();
        run(PERIOD.multipliedBy(3).plusSeconds(5));

        for (String id : List.of(firedHere, firedElsewhere)) {
            assertThat(this.environment.log()).as("each instant once, never tried again")
                .filteredOn((line) -> line.startsWith(id + "/"))
                .containsExactly(id + "/beat@10000", id + "/beat@20000", id + "/beat@30000");
        }
        assertThat(this.environment.log()).noneMatch((line) -> line.startsWith(unreachable + "/"));
        assertThat(this.table.find(new ReminderKey(new ActorAddress("Pager", unreachable), "beat")).orElseThrow()
            .tick().scheduledAt()).as("the table keeps the instant that was not delivered").isEqualTo(first);
        assertThat(this.managers.values().stream().mapToLong((manager) -> manager.stats().failed()).sum())
            .isEqualTo(6);
        assertThat(this.managers.get("silo-0").stats().undelivered()).isPositive();
    }

    @Test
    void aPausedOwnerThatLostItsLeaseNeitherFiresNorOverwritesItsSuccessor() throws Exception {
        AuditedTable audited = new AuditedTable(this.table);
        List<String> deliveries = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> paused = new CompletableFuture<>();
        ManualScheduler schedulerA = new ManualScheduler(this.clock);
        ManualScheduler schedulerB = new ManualScheduler(this.clock);
        ReminderTickManager a = pausable("a", schedulerA, audited, (actor, name, status) -> {
            deliveries.add("a " + name + "@" + PagerEnvironment.offset(status.scheduledAt()));
            return paused;
        });
        ReminderTickManager b = pausable("b", schedulerB, audited, (actor, name, status) -> {
            deliveries.add("b " + name + "@" + PagerEnvironment.offset(status.scheduledAt()));
            return CompletableFuture.completedFuture(null);
        });
        ReminderKey key = new ReminderKey(new ActorAddress("Pager", "paused"), "r");
        this.table.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(2)).startingAt(START.plusSeconds(1)),
                new byte[0], ReminderTick.first(START.plusSeconds(1), 1)));
        a.start();
        schedulerA.runDueTasks();
        b.start();
        schedulerB.runDueTasks();
        assertThat(a.ownedBuckets().isAll()).isTrue();
        assertThat(b.ownedBuckets().isEmpty()).as("a holds every lease").isTrue();

        Thread pausedOwner = Thread.ofVirtual().start(() -> schedulerA.advance(Duration.ofSeconds(1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.contains("a r@1000"));
        // a's tick hangs, and with it a's scheduler: no renewal, nothing else runs on a while time moves on b.
        for (int step = 0; step < 80; step++) {
            schedulerB.advance(STEP);
        }
        Instant resumedAt = this.clock.instant();
        assertThat(b.ownedBuckets().isAll()).as("b took the buckets once a's leases expired").isTrue();
        assertThat(deliveries).as("the instant a never recorded is delivered again: at least once across a pause")
            .containsExactly("a r@1000", "b r@1000", "b r@5000", "b r@7000", "b r@9000");

        paused.complete(null);
        pausedOwner.join(Duration.ofSeconds(10));
        this.clock.set(resumedAt);
        await().atMost(Duration.ofSeconds(10)).until(() -> audited.refusedTokens.size() == 1);
        assertThat(this.table.find(key).orElseThrow().tick().scheduledAt()).as("b's write stands")
            .isEqualTo(START.plusSeconds(11));
        for (int step = 0; step < 40; step++) {
            schedulerA.advance(STEP);
            schedulerB.runDueTasks();
        }
        assertThat(a.ownedBuckets().isEmpty()).as("a learnt it lost its leases").isTrue();
        assertThat(deliveries).as("a fires nothing once its lease is gone")
            .containsExactly("a r@1000", "b r@1000", "b r@5000", "b r@7000", "b r@9000", "b r@11000", "b r@13000");
    }

    private ReminderTickManager pausable(String owner, ManualScheduler scheduler, ReminderTable table,
            ReminderDelivery delivery) {
        ActorRuntime runtime = ActorRuntime.builder().clock(this.clock).scheduler(scheduler).build();
        this.closeables.add(runtime);
        ReminderTickManager manager = ReminderTickManager.builder(table, runtime)
            .settings(ReminderSettings.builder().refreshInterval(Duration.ofSeconds(1)).lookahead(Duration.ofSeconds(2))
                .build())
            .delivery(delivery)
            .leases(this.leaseStore, owner, LEASE)
            .build();
        this.closeables.add(0, manager);
        return manager;
    }

    /** Records the fencing tokens of the batches the table refused. */
    private static final class AuditedTable implements ReminderTable {

        private final ReminderTable delegate;

        final List<FencingToken> refusedTokens = new CopyOnWriteArrayList<>();

        AuditedTable(ReminderTable delegate) {
            this.delegate = delegate;
        }

        @Override
        public void save(ReminderEntry entry) {
            this.delegate.save(entry);
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            return this.delegate.find(key);
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            return this.delegate.list(actor);
        }

        @Override
        public boolean delete(ReminderKey key) {
            return this.delegate.delete(key);
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            return this.delegate.due(buckets, before, limit);
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            return this.delegate.stamp(tokens);
        }

        @Override
        public int apply(List<ReminderUpdate> updates) {
            int applied = this.delegate.apply(updates);
            if (applied < updates.size()) {
                updates.forEach((update) -> this.refusedTokens.add(Objects.requireNonNull(update.token())));
            }
            return applied;
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            return this.delegate.countDue(buckets, before);
        }
    }

    @Test
    void leaseSettingsAreValidatedNamingTheValue() {
        ActorRuntime runtime = ActorRuntime.builder().clock(this.clock).scheduler(this.scheduler).build();
        this.closeables.add(runtime);
        ReminderTickManager.Builder builder = ReminderTickManager.builder(this.table, runtime);
        assertThatIllegalArgumentException().isThrownBy(() -> builder.leases(this.leaseStore, " ", LEASE))
            .withMessage("Reminder lease owner ' ' is not allowed: it must not be blank and at most 255 characters long");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.leases(this.leaseStore, "silo", Duration.ofMillis(99)))
            .withMessage("Reminder lease duration PT0.099S is not allowed: it must be between 100ms and PT8760H");
    }

    private void startManager(TestSilo silo) {
        ReminderTickManager manager = ReminderTickManager.builder(this.table, silo.runtime())
            .registry(this.registries.get(silo.siloId()))
            .settings(ReminderSettings.builder().refreshInterval(Duration.ofSeconds(1)).lookahead(Duration.ofSeconds(2))
                .initialBackoff(Duration.ofMillis(500)).maxBackoff(this.maxBackoff).build())
            .ownership(() -> bucketsOf(silo.siloId(), silo.views().current()))
            .leases(this.leaseStore, silo.siloId(), LEASE)
            .build();
        this.managers.put(silo.siloId(), manager);
        silo.views().subscribe((view) -> manager.ownershipChanged());
        manager.start();
    }

    /** Waits until every running silo sees the same number of active silos, then lets their claims run. */
    private void settle(int silos) {
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.cluster.runningSilos()
                .stream()
                .allMatch((silo) -> silo.views().current().ring().silos().size() == silos));
        this.managers.values().forEach(ReminderTickManager::ownershipChanged);
        run(Duration.ZERO);
    }

    private void run(Duration duration) {
        Instant end = this.clock.instant().plus(duration);
        this.scheduler.runDueTasks();
        while (this.clock.instant().isBefore(end)) {
            this.scheduler.advance(STEP);
        }
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

    /**
     * Picks actors that live on the silo owning their bucket in the 3-silo ring, so that no delivery is made, during
     * failure detection, from a live bucket owner to an actor on the killed silo (such a delivery fails and its tick
     * is counted failed, which is another test's matter).
     */
    private static List<String> idsWhoseBucketAndActorHaveOneOwner(HashRing ring) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; ids.size() < REMINDERS && i < 100 * REMINDERS; i++) {
            ActorAddress actor = new ActorAddress("Pager", "p-" + i);
            String owner = ring.ownerOf(actor);
            if (owner != null && owner.equals(ring.ownerOf(ReminderBuckets.firstHash(ReminderBuckets.of(actor))))) {
                ids.add(actor.id());
            }
        }
        assertThat(ids).hasSize(REMINDERS);
        return ids;
    }

    /** Picks an actor that lives on one silo in the ring while its bucket belongs to the given silo. */
    private static String idLivingOn(HashRing ring, String prefix, String actorSilo, String bucketSilo) {
        for (int i = 0; i < 100_000; i++) {
            ActorAddress actor = new ActorAddress("Pager", prefix + i);
            if (actorSilo.equals(ring.ownerOf(actor))
                    && bucketSilo.equals(ring.ownerOf(ReminderBuckets.firstHash(ReminderBuckets.of(actor))))) {
                return actor.id();
            }
        }
        throw new AssertionError("No actor on " + actorSilo + " with its bucket on " + bucketSilo);
    }

    /**
     * Picks actors that live on one silo in the ring while their bucket belongs to another, so that every tick of
     * theirs is a call from the bucket's owner to that silo.
     */
    private static List<String> idsOnOneSiloWithTheirBucketOnAnother(HashRing ring, String actorSilo, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; ids.size() < count && i < 100 * count; i++) {
            ActorAddress actor = new ActorAddress("Pager", "c-" + i);
            String bucketOwner = ring.ownerOf(ReminderBuckets.firstHash(ReminderBuckets.of(actor)));
            if (actorSilo.equals(ring.ownerOf(actor)) && bucketOwner != null && !bucketOwner.equals(actorSilo)) {
                ids.add(actor.id());
            }
        }
        assertThat(ids).hasSize(count);
        return ids;
    }

    private void assertEveryInstantOnceUpTo(List<String> ids, Instant until, Instant killedAt, Duration bound) {
        assertEveryInstantOnceUpTo(ids, REMINDERS, SPREAD, until, killedAt, bound);
    }

    /** The offset, after the first period, of the first instant of the {@code i}th reminder. */
    private static long firstOffsetMillis(int i, Duration spread) {
        long slots = PERIOD.toMillis() / spread.toMillis();
        return i % slots * spread.toMillis();
    }

    /**
     * Checks that each reminder was delivered for every scheduled instant from its first to {@code until}, once
     * each, and late only around the kill, by at most {@code bound}.
     */
    private void assertEveryInstantOnceUpTo(List<String> ids, int reminders, Duration spread, Instant until,
            Instant killedAt, Duration bound) {
        Map<String, Map<Long, Integer>> counts = new TreeMap<>();
        Map<String, Long> worstLateness = new TreeMap<>();
        for (String line : this.environment.log()) {
            int at = line.indexOf('@');
            int space = line.indexOf(' ', at);
            String reminder = line.substring(0, at);
            long scheduled = Long.parseLong(line.substring(at + 1, (space < 0) ? line.length() : space));
            int firedAt = line.indexOf(" fired ");
            int attempt = line.indexOf(" #");
            long fired = (firedAt < 0) ? scheduled
                    : Long.parseLong(line.substring(firedAt + 7, (attempt < 0) ? line.length() : attempt));
            counts.computeIfAbsent(reminder, (key) -> new TreeMap<>()).merge(scheduled, 1, Integer::sum);
            worstLateness.merge(reminder, fired - scheduled, Math::max);
            assertThat(fired - scheduled).as("lateness of %s", line).isLessThanOrEqualTo(bound.toMillis());
            if (fired > scheduled) {
                assertThat(scheduled).as("only ticks due after the kill are late: %s", line)
                    .isGreaterThanOrEqualTo(PagerEnvironment.offset(killedAt));
            }
        }
        assertThat(counts).hasSize(reminders);
        long last = PagerEnvironment.offset(until);
        for (int i = 0; i < ids.size(); i++) {
            long first = PERIOD.toMillis() + firstOffsetMillis(i, spread);
            Map<Long, Integer> delivered = counts.get(ids.get(i) + "/beat");
            assertThat(delivered).as(ids.get(i)).isNotNull();
            List<Long> expected = new ArrayList<>();
            for (long instant = first; instant <= last; instant += PERIOD.toMillis()) {
                expected.add(instant);
            }
            assertThat(delivered.keySet()).as("instants of %s", ids.get(i)).containsAll(expected);
            assertThat(delivered.values()).as("deliveries per instant of %s", ids.get(i)).allMatch((count) -> count == 1);
        }
    }
}
