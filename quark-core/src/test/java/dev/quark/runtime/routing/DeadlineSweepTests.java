package dev.quark.runtime.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Entries with deadlines in any order expire in deadline order and on time; unlinked ones never expire.
 */
class DeadlineSweepTests {

    private final Sweep sweep = new Sweep();

    @AfterEach
    void close() {
        this.sweep.close();
    }

    @Test
    void entriesLinkedOutOfOrderExpireInDeadlineOrder() {
        long now = System.nanoTime();
        for (int millis : new int[] { 400, 100, 300, 200, 100 }) {
            this.sweep.link(new Entry("after-" + millis, now + Duration.ofMillis(millis).toNanos()));
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.expired.size() == 5);
        assertThat(this.sweep.expired).containsExactly("after-100", "after-100", "after-200", "after-300",
                "after-400");
        assertThat(this.sweep.linked()).isZero();
    }

    @Test
    void anEarlierDeadlineLinkedWhileTheSweeperWaitsForALaterOneWakesIt() {
        long now = System.nanoTime();
        this.sweep.link(new Entry("late", now + Duration.ofSeconds(30).toNanos()));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.sweeperParked());

        this.sweep.link(new Entry("soon", System.nanoTime() + Duration.ofMillis(50).toNanos()));

        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.expired.contains("soon"));
        assertThat(this.sweep.expired).containsExactly("soon");
        assertThat(this.sweep.linked()).isOne();
    }

    @Test
    void anUnlinkedEntryNeverExpires() {
        long now = System.nanoTime();
        Entry dropped = new Entry("dropped", now + Duration.ofMillis(50).toNanos());
        this.sweep.link(dropped);
        this.sweep.link(new Entry("kept", now + Duration.ofMillis(100).toNanos()));
        this.sweep.unlink(dropped);

        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.expired.contains("kept"));
        assertThat(this.sweep.expired).containsExactly("kept");
    }

    private static final class Entry {

        final String name;

        final long deadlineNanos;

        @Nullable Entry previous;

        @Nullable Entry next;

        boolean linked;

        Entry(String name, long deadlineNanos) {
            this.name = name;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private static final class Sweep extends DeadlineSweep<Entry> {

        final List<String> expired = new CopyOnWriteArrayList<>();

        private volatile @Nullable Thread sweeperThread;

        Sweep() {
            super("test-deadline-sweep");
        }

        void link(Entry entry) {
            boolean wake;
            synchronized (this.lock) {
                entry.linked = true;
                wake = linkLocked(entry);
            }
            if (wake) {
                wake();
            }
        }

        void unlink(Entry entry) {
            synchronized (this.lock) {
                if (entry.linked) {
                    unlinkLocked(entry);
                }
            }
        }

        boolean sweeperParked() {
            Thread thread = this.sweeperThread;
            return thread != null && thread.getState() == Thread.State.TIMED_WAITING;
        }

        @Override
        protected long deadlineNanos(Entry entry) {
            this.sweeperThread = (Thread.currentThread().getName().equals("test-deadline-sweep"))
                    ? Thread.currentThread() : this.sweeperThread;
            return entry.deadlineNanos;
        }

        @Override
        protected @Nullable Entry previous(Entry entry) {
            return entry.previous;
        }

        @Override
        protected void previous(Entry entry, @Nullable Entry previous) {
            entry.previous = previous;
        }

        @Override
        protected @Nullable Entry next(Entry entry) {
            return entry.next;
        }

        @Override
        protected void next(Entry entry, @Nullable Entry next) {
            entry.next = next;
        }

        @Override
        protected void unlinked(Entry entry) {
            entry.linked = false;
        }

        @Override
        protected void expire(Entry entry) {
            this.expired.add(entry.name);
        }
    }
}
