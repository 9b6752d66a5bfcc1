package dev.quark.testkit.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.lease.FencingToken;
import dev.quark.reminder.DueReminders;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.reminder.memory.InMemoryReminderTable;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Notices from other silos make the bucket's owner read a reminder at once; reads of two notices can finish in
 * either order, and the older one must not undo what the newer one learnt.
 */
class ReminderNoticeOrderTests {

    private static final ReminderKey KEY = new ReminderKey(new ActorAddress("Pager", "n"), "r");

    private final InMemoryReminderTable table = new InMemoryReminderTable();

    private final GatedTable gated = new GatedTable(this.table);

    private final List<ReminderStatus> delivered = new CopyOnWriteArrayList<>();

    private ActorRuntime runtime;

    private ReminderTickManager manager;

    @AfterEach
    void close() {
        this.gated.open();
        if (this.manager != null) {
            this.manager.close();
        }
        if (this.runtime != null) {
            this.runtime.close();
        }
    }

    @Test
    void anOlderNoticesReadThatFinishesLastDoesNotBringBackTheRegistrationItReplaced() {
        this.runtime = ActorRuntime.builder().clock(Clock.systemUTC()).build();
        this.manager = ReminderTickManager.builder(this.gated, this.runtime)
            .delivery((actor, name, status) -> {
                this.delivered.add(status);
                return CompletableFuture.completedFuture(null);
            })
            .build();
        this.manager.start();
        Instant soon = Instant.now().plusMillis(300);
        this.table.save(new ReminderEntry(KEY, 1, ReminderSchedule.onceAt(soon), new byte[0], ReminderTick.first(soon, 1)));
        this.gated.holdNextFind();
        this.manager.changedElsewhere(KEY);
        this.gated.awaitHeld();
        Instant later = Instant.now().plus(Duration.ofHours(1));
        this.table.save(new ReminderEntry(KEY, 2, ReminderSchedule.onceAt(later), new byte[0],
                ReminderTick.first(later, 1)));
        this.manager.changedElsewhere(KEY);
        this.gated.open();
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
            .until(() -> this.delivered.isEmpty());
    }

    @Test
    void aBurstOfNoticesOfOneReminderCostsAtMostTwoReadsAndEndsOnTheLatestRegistration() {
        this.runtime = ActorRuntime.builder().clock(Clock.systemUTC()).build();
        this.manager = ReminderTickManager.builder(this.gated, this.runtime)
            .delivery((actor, name, status) -> {
                this.delivered.add(status);
                return CompletableFuture.completedFuture(null);
            })
            .build();
        this.manager.start();
        Instant later = Instant.now().plus(Duration.ofHours(1));
        this.table.save(new ReminderEntry(KEY, 1, ReminderSchedule.onceAt(later), new byte[0],
                ReminderTick.first(later, 1)));
        this.gated.holdNextFind();
        this.manager.changedElsewhere(KEY);
        this.gated.awaitHeld();
        int before = this.gated.finds.get();
        Instant soon = Instant.now().plusMillis(200);
        this.table.save(new ReminderEntry(KEY, 2, ReminderSchedule.onceAt(soon), new byte[0],
                ReminderTick.first(soon, 1)));
        for (int i = 0; i < 50; i++) {
            this.manager.changedElsewhere(KEY);
        }
        this.gated.open();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.delivered.size() == 1);
        assertThat(this.gated.finds.get() - before).as("reads after the first").isLessThanOrEqualTo(1);
        assertThat(this.delivered.getFirst().scheduledAt()).isEqualTo(soon);
    }

    /** A table whose next {@code find} reads, then waits until opened: a read that finishes late. */
    private static final class GatedTable implements ReminderTable {

        private final ReminderTable delegate;

        private final AtomicBoolean hold = new AtomicBoolean();

        private final AtomicInteger finds = new AtomicInteger();

        private final CountDownLatch held = new CountDownLatch(1);

        private final CountDownLatch opened = new CountDownLatch(1);

        GatedTable(ReminderTable delegate) {
            this.delegate = delegate;
        }

        void holdNextFind() {
            this.hold.set(true);
        }

        void awaitHeld() {
            try {
                assertThat(this.held.await(10, TimeUnit.SECONDS)).as("the first read started").isTrue();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }

        void open() {
            this.opened.countDown();
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            this.finds.incrementAndGet();
            Optional<ReminderEntry> found = this.delegate.find(key);
            if (this.hold.compareAndSet(true, false)) {
                this.held.countDown();
                try {
                    this.opened.await(10, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return found;
        }

        @Override
        public void save(ReminderEntry entry) {
            this.delegate.save(entry);
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
            return this.delegate.apply(updates);
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            return this.delegate.countDue(buckets, before);
        }
    }
}
