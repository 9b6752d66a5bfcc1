package dev.quark.runtime.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Entries with deadlines in any order expire in deadline order and on time; unlinked ones never expire; entries
 * of several timeouts in flight at once link in a few steps each.
 */
class DeadlineSweepTests {

    @AutoClose
    private final Sweep sweep = new Sweep();

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

    @Test
    void aShortDeadlineLinkedAfterTheOnlyLongerOneLeftStillExpiresOnTime() {
        Entry late = new Entry("late", System.nanoTime() + Duration.ofSeconds(30).toNanos());
        this.sweep.link(late);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.sweeperParked());
        this.sweep.unlink(late);

        this.sweep.link(new Entry("soon", System.nanoTime() + Duration.ofMillis(50).toNanos()));

        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.expired.contains("soon"));
        assertThat(this.sweep.expired).containsExactly("soon");
    }

    @Test
    void twoTimeoutsInFlightAtOnceLinkInAFewStepsEach() {
        long now = System.nanoTime();
        long spacing = Duration.ofNanos(100_000).toNanos();
        long longer = now + Duration.ofSeconds(30).toNanos();
        long shorter = now + Duration.ofSeconds(10).toNanos();
        long reads = this.sweep.deadlineReads.get();
        for (int i = 0; i < 20_000; i++) {
            this.sweep.link(new Entry("long-" + i, longer + i * spacing + jitter(i)));
        }
        for (int i = 0; i < 20_000; i++) {
            this.sweep.link(new Entry("short-" + i, shorter + (20_000 + i) * spacing + jitter(i)));
        }
        for (int i = 0; i < 20_000; i++) {
            long base = (i % 2 == 0) ? longer : shorter;
            this.sweep.link(new Entry("mixed-" + i, base + (40_000 + i) * spacing + jitter(i)));
        }

        double readsPerLink = (this.sweep.deadlineReads.get() - reads) / 60_000.0;
        assertThat(readsPerLink).isLessThan(20);
        assertThat(this.sweep.linked()).isEqualTo(60_000);
    }

    /** Every tenth entry comes a third of a millisecond early: behind the three entries before it. */
    private static long jitter(int i) {
        return (i % 10 == 9) ? -Duration.ofNanos(333_000).toNanos() : 0;
    }

    @Test
    void entriesOfSeveralTimeoutsExpireOnceEachAfterTheirDeadlinesInOrder() {
        long now = System.nanoTime();
        List<Entry> entries = new ArrayList<>();
        for (int population = 0; population < 4; population++) {
            long base = now + Duration.ofMillis(800 - population * 200).toNanos();
            for (int i = 0; i < 50; i++) {
                entries.add(new Entry("p" + population + "-" + i, base + i * Duration.ofMillis(1).toNanos()));
            }
        }
        for (int i = 0; i < 50; i++) {
            long base = now + Duration.ofMillis((i % 2 == 0) ? 700 : 150).toNanos();
            entries.add(new Entry("p" + (4 + i % 2) + "-" + i, base + i * Duration.ofMillis(1).toNanos()));
        }
        entries.forEach(this.sweep::link);

        await().atMost(Duration.ofSeconds(10)).until(() -> this.sweep.expired.size() == entries.size());
        assertThat(this.sweep.expired).doesNotHaveDuplicates();
        assertThat(this.sweep.expired).containsExactlyInAnyOrderElementsOf(entries.stream().map((e) -> e.name).toList());
        for (Entry entry : entries) {
            assertThat(this.sweep.expiredAt.get(entry.name)).as(entry.name).isGreaterThanOrEqualTo(entry.deadlineNanos);
        }
        for (int population = 0; population < 6; population++) {
            String prefix = "p" + population + "-";
            List<String> inOrder = entries.stream()
                .filter((e) -> e.name.startsWith(prefix))
                .sorted((a, b) -> Long.compare(a.deadlineNanos, b.deadlineNanos))
                .map((e) -> e.name)
                .toList();
            assertThat(this.sweep.expired.stream().filter((name) -> name.startsWith(prefix)).toList())
                .containsExactlyElementsOf(inOrder);
        }
        assertThat(this.sweep.linked()).isZero();
    }

    @Test
    void moreTimeoutsThanLanesInAnyOrderExpireOnceEachAfterTheirDeadlines() {
        Random random = new Random(12);
        long now = System.nanoTime();
        List<Entry> kept = new ArrayList<>();
        List<Entry> linked = new ArrayList<>();
        for (int i = 0; i < 6_000; i++) {
            int population = random.nextInt(3 * DeadlineSweep.LANES);
            long deadline = now + Duration.ofMillis(300 + population * 20).toNanos()
                    + i * Duration.ofNanos(20_000).toNanos() - random.nextInt(1_000_000);
            Entry entry = new Entry("p" + population + "-" + i, deadline);
            this.sweep.link(entry);
            linked.add(entry);
            if (random.nextInt(3) == 0) {
                this.sweep.unlink(linked.remove(random.nextInt(linked.size())));
            }
        }
        kept.addAll(linked);

        await().atMost(Duration.ofSeconds(10)).until(() -> this.sweep.expired.size() >= kept.size());
        assertThat(this.sweep.expired).containsExactlyInAnyOrderElementsOf(kept.stream().map((e) -> e.name).toList());
        for (Entry entry : kept) {
            assertThat(this.sweep.expiredAt.get(entry.name)).as(entry.name).isGreaterThanOrEqualTo(entry.deadlineNanos);
        }
        assertThat(this.sweep.linked()).isZero();
    }

    @Test
    void headsTailsAndMiddlesOfSeveralLanesUnlinkedNeverExpire() {
        long now = System.nanoTime();
        List<List<Entry>> populations = new ArrayList<>();
        for (int population = 0; population < 3; population++) {
            long base = now + Duration.ofMillis(600 - population * 200).toNanos();
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                entries.add(new Entry("p" + population + "-" + i, base + i * Duration.ofMillis(1).toNanos()));
            }
            entries.forEach(this.sweep::link);
            populations.add(entries);
        }
        Entry alone = new Entry("alone", now + Duration.ofMillis(100).toNanos());
        this.sweep.link(alone);
        List<Entry> dropped = new ArrayList<>();
        for (List<Entry> entries : populations) {
            dropped.add(entries.get(0));
            dropped.add(entries.get(10));
            dropped.add(entries.get(19));
            dropped.add(entries.get(1));
            dropped.add(entries.get(18));
        }
        dropped.add(alone);
        dropped.forEach(this.sweep::unlink);
        assertThat(this.sweep.linked()).isEqualTo(60 - 15);

        List<String> kept = populations.stream()
            .flatMap(List::stream)
            .filter((e) -> !dropped.contains(e))
            .map((e) -> e.name)
            .toList();
        await().atMost(Duration.ofSeconds(10)).until(() -> this.sweep.expired.size() == kept.size());
        assertThat(this.sweep.expired).containsExactlyInAnyOrderElementsOf(kept);
        assertThat(this.sweep.linked()).isZero();
    }

    @Test
    void aLaneEmptiedIsTakenByTheNextTimeout() {
        long now = System.nanoTime();
        List<List<Entry>> populations = new ArrayList<>();
        for (int population = 0; population < DeadlineSweep.LANES; population++) {
            long base = now + Duration.ofSeconds(90 - population * 10).toNanos();
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                entries.add(new Entry("p" + population + "-" + i, base + i * Duration.ofMillis(1).toNanos()));
            }
            entries.forEach(this.sweep::link);
            populations.add(entries);
        }
        populations.get(3).forEach(this.sweep::unlink);

        long reads = this.sweep.deadlineReads.get();
        long base = now + Duration.ofSeconds(1).toNanos();
        for (int i = 0; i < 1_000; i++) {
            this.sweep.link(new Entry("soon-" + i, base + i * Duration.ofNanos(1000).toNanos()));
        }

        assertThat((this.sweep.deadlineReads.get() - reads) / 1_000.0).isLessThan(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> this.sweep.expired.size() == 1_000);
        assertThat(this.sweep.expired).first().isEqualTo("soon-0");
        assertThat(this.sweep.expired).last().isEqualTo("soon-999");
        assertThat(this.sweep.linked()).isEqualTo(7 * 1_000);
    }

    @Test
    void aShortDeadlineLinkedAfterLongerOnesInAnotherLaneWakesTheSweeper() {
        long now = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            this.sweep.link(new Entry("late-" + i, now + Duration.ofSeconds(30).toNanos() + i));
        }
        for (int i = 0; i < 100; i++) {
            this.sweep.link(new Entry("later-" + i, now + Duration.ofSeconds(60).toNanos() + i));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.sweeperParked());

        this.sweep.link(new Entry("soon", System.nanoTime() + Duration.ofMillis(50).toNanos()));

        await().atMost(Duration.ofSeconds(5)).until(() -> this.sweep.expired.contains("soon"));
        assertThat(this.sweep.expired).containsExactly("soon");
        assertThat(this.sweep.linked()).isEqualTo(200);
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

        final Map<String, Long> expiredAt = new ConcurrentHashMap<>();

        final AtomicLong deadlineReads = new AtomicLong();

        private static final AtomicLong sweeps = new AtomicLong();

        private final String sweeperName;

        Sweep() {
            this("test-deadline-sweep-" + sweeps.incrementAndGet());
        }

        private Sweep(String sweeperName) {
            super(sweeperName);
            this.sweeperName = sweeperName;
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
            return Thread.getAllStackTraces()
                .keySet()
                .stream()
                .anyMatch((thread) -> thread.getName().equals(this.sweeperName)
                        && thread.getState() == Thread.State.TIMED_WAITING);
        }

        @Override
        protected long deadlineNanos(Entry entry) {
            this.deadlineReads.incrementAndGet();
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
            this.expiredAt.put(entry.name, System.nanoTime());
            this.expired.add(entry.name);
        }
    }
}
