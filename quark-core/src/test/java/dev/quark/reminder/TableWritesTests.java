package dev.quark.reminder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.lease.FencingToken;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.RuntimeScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class TableWritesTests {

    private static final Instant START = Instant.parse("2026-01-15T10:00:00Z");

    private static final int MAX_BATCH = 10;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private final GatedTable table = new GatedTable();

    private final Clock clock = Clock.fixed(START, ZoneOffset.UTC);

    private final RuntimeScheduler scheduler = (at, task) -> () -> false;

    private final TableWrites writes = new TableWrites(this.table, MAX_BATCH, this.threads, this.scheduler, this.clock,
            Duration.ofSeconds(1));

    @AfterEach
    void openTheGateAndStop() {
        this.table.gate.countDown();
        this.threads.shutdownNow();
    }

    @Test
    void fullBatchesWaitingWhileOneIsInFlightAreSentBesideIt() {
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (int i = 0; i < MAX_BATCH * (TableWrites.MAX_IN_FLIGHT + 2); i++) {
            attempts.add(this.writes.submit(advance("beeper-" + i, 1), () -> {
            }));
        }

        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(this.table.inFlight.get())
                .as("batches sent at once while the table has not answered the first")
                .isEqualTo(TableWrites.MAX_IN_FLIGHT));
        assertThat(this.table.batches).allSatisfy((batch) -> assertThat(batch).hasSizeLessThanOrEqualTo(MAX_BATCH));

        this.table.gate.countDown();
        assertThat(this.writes.drain(Duration.ofSeconds(10))).isTrue();
        assertThat(CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new))).succeedsWithin(Duration.ofSeconds(10));
        assertThat(this.table.applied).hasSize(MAX_BATCH * (TableWrites.MAX_IN_FLIGHT + 2));
        assertThat(this.writes.pendingCount()).isZero();
    }

    @Test
    void aQuietSiloSendsOneBatchAtATime() {
        this.writes.submit(advance("beeper-1", 1), () -> {
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.inFlight.get() == 1);
        for (int i = 2; i < MAX_BATCH; i++) {
            this.writes.submit(advance("beeper-" + i, 1), () -> {
            });
        }

        assertThat(this.table.inFlight.get()).as("less than a full batch waits: no second batch").isEqualTo(1);
        this.table.gate.countDown();
        assertThat(this.writes.drain(Duration.ofSeconds(10))).isTrue();
        assertThat(this.table.batches).hasSize(2);
    }

    @Test
    void aReminderWhoseWriteIsInFlightHasItsNextWriteSentOnlyOnceTheTableAnswered() {
        this.writes.submit(advance("beeper-0", 1), () -> {
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.inFlight.get() == 1);
        this.writes.submit(advance("beeper-0", 2), () -> {
        });
        for (int i = 1; i <= MAX_BATCH * 2; i++) {
            this.writes.submit(advance("beeper-" + i, 1), () -> {
            });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> this.table.inFlight.get() >= 2);

        assertThat(this.table.batches.subList(1, this.table.batches.size()))
            .as("the second write of beeper-0 waits for the first")
            .allSatisfy((batch) -> assertThat(batch).noneMatch((update) -> update.key().actor().id().equals("beeper-0")));
        this.table.gate.countDown();
        assertThat(this.writes.drain(Duration.ofSeconds(10))).isTrue();
        assertThat(this.table.applied.get(key("beeper-0"))).as("the later write lands last").isEqualTo(2L);
    }

    @Test
    void anErrorThrownByTheTableFreesTheReminderSoThatItsLaterWritesGo() {
        this.table.gate.countDown();
        this.table.errors.set(1);
        this.writes.submit(advance("beeper-0", 1), () -> {
        });
        await("the failed write waits to be tried again").atMost(Duration.ofSeconds(10))
            .until(() -> this.table.errors.get() == 0 && this.writes.pendingCount() == 1);
        this.writes.submit(advance("beeper-0", 2), () -> {
        });

        assertThat(this.writes.drain(Duration.ofSeconds(10))).as("nothing left in flight after the error").isTrue();
        assertThat(this.table.applied.get(key("beeper-0"))).isEqualTo(2L);
        assertThat(this.writes.pendingCount()).isZero();
        assertThat(this.writes.pendingBuckets()).isEmpty();
    }

    @Test
    void anErrorThrownWhileRecordingAWriteFreesTheBatchSoThatItsRemindersLaterWritesGo() {
        this.table.gate.countDown();
        CompletableFuture<Void> first = this.writes.submit(advance("beeper-0", 1), () -> {
            throw new AssertionError("the record broke");
        });
        assertThat(first).succeedsWithin(Duration.ofSeconds(10));
        this.writes.submit(advance("beeper-0", 2), () -> {
        });

        assertThat(this.writes.drain(Duration.ofSeconds(5))).as("nothing left in flight after the error").isTrue();
        assertThat(this.table.applied.get(key("beeper-0"))).isEqualTo(2L);
        assertThat(this.writes.pendingBuckets()).isEmpty();
    }

    private static ReminderKey key(String actor) {
        return new ReminderKey(new ActorAddress("beeper", actor), "beep");
    }

    private static ReminderUpdate advance(String actor, long number) {
        return ReminderUpdate.advance(key(actor), 7, ReminderTick.first(START.plusSeconds(number), number));
    }

    /** A table whose writes wait at a gate, recording each batch and which tick of each reminder landed last. */
    private static final class GatedTable implements ReminderTable {

        final CountDownLatch gate = new CountDownLatch(1);

        final AtomicInteger inFlight = new AtomicInteger();

        final List<List<ReminderUpdate>> batches = new CopyOnWriteArrayList<>();

        final Map<ReminderKey, Long> applied = new ConcurrentHashMap<>();

        /** How many of the next batches fail with an {@link Error}. */
        final AtomicInteger errors = new AtomicInteger();

        @Override
        public int apply(List<ReminderUpdate> updates) {
            if (this.errors.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
                throw new AssertionError("the table broke");
            }
            this.batches.add(List.copyOf(updates));
            this.inFlight.incrementAndGet();
            try {
                if (!this.gate.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the gate stayed shut");
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            finally {
                this.inFlight.decrementAndGet();
            }
            updates.forEach((update) -> this.applied.put(update.key(), java.util.Objects.requireNonNull(update.next()).number()));
            return updates.size();
        }

        @Override
        public void save(ReminderEntry entry) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ReminderEntry> find(ReminderKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ReminderEntry> list(ActorAddress actor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean delete(ReminderKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public DueReminders due(ReminderBucketSet buckets, Instant before, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ReminderBucketSet stamp(Map<Integer, FencingToken> tokens) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long countDue(ReminderBucketSet buckets, Instant before) {
            throw new UnsupportedOperationException();
        }
    }
}
