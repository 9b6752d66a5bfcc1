package dev.quark.jobs.runtime;

import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.memory.InMemoryLeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The group commit of outcomes: those that end while a write is in flight go together in the next write.
 */
class OutcomeWriterTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Clock clock = Clock.systemUTC();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(this.clock);

    private final GatedStore store = new GatedStore();

    private final OutcomeWriter writer = new OutcomeWriter(this.store);

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        this.store.gate.countDown();
        this.threads.shutdownNow();
    }

    private List<ClaimedJob> claim(int count) {
        for (int i = 0; i < count; i++) {
            this.store.enqueue(new NewJob(JobId.next(this.clock), "work", "{}", null, this.clock.instant(),
                    this.clock.instant()));
        }
        List<ClaimedJob> claimed = this.store.claimDue(new Claim("node-1", count, Map.of("work", count), Set.of(),
                this.clock.instant()), JobLeases.of(this.leases, "node-1", Duration.ofMinutes(5)));
        assertThat(claimed).hasSize(count);
        return claimed;
    }

    private static JobOutcome succeeded(ClaimedJob claimed) {
        return new JobOutcome(claimed.job().id(), claimed.lease(), JobTransition.succeeded(),
                new JobReport(100, null, List.of()), Instant.now());
    }

    private Future<@Nullable RuntimeException> write(JobOutcome outcome) {
        return this.threads.submit(() -> this.writer.write(outcome));
    }

    @Test
    void outcomesThatEndWhileAWriteIsInFlightAreWrittenTogetherInTheNextWrite() throws Exception {
        List<ClaimedJob> jobs = claim(4);
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 4)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 3);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        for (Future<@Nullable RuntimeException> outcome : later) {
            assertThat(outcome.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        }
        assertThat(this.store.batches).containsExactly(3);
        jobs.forEach((job) -> assertThat(this.store.find(job.job().id()).orElseThrow().status())
            .isEqualTo(JobStatus.SUCCEEDED));
        assertThat(this.writer.waiting()).isZero();
    }

    @Test
    void inABatchALostLeaseRefusesTheOutcomeOfItsJobOnly() throws Exception {
        List<ClaimedJob> jobs = claim(4);
        ClaimedJob lost = jobs.get(2);
        this.store.finish(lost.job().id(), lost.lease(), JobTransition.released(Instant.now()),
                new JobReport(0, null, List.of()), Instant.now());
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 4)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 3);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(1).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(LeaseLostException.class)
            .hasMessageContaining(lost.lease().resource());
        assertThat(later.get(2).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(this.store.batches).containsExactly(3);
        assertThat(this.store.find(lost.job().id()).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(this.store.find(jobs.get(3).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aBatchWhoseWriteFailsIsWrittenAgainOneOutcomeAtATimeSoOnlyTheBadOutcomeFails() throws Exception {
        List<ClaimedJob> jobs = claim(4);
        ClaimedJob bad = jobs.get(2);
        this.store.refused.add(bad.job().id());
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 4)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 3);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(1).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("refuses the outcome of " + bad.job().id());
        assertThat(later.get(2).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(this.store.batches).containsExactly(3);
        assertThat(this.store.find(jobs.get(1).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(this.store.find(bad.job().id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(this.store.find(jobs.get(3).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(write(succeeded(claim(1).get(0))).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
    }

    @Test
    void aBatchWhoseStoreCannotBeReachedIsNotWrittenAgainOneOutcomeAtATimeAndItsJobsStayRunningForTheirLeases()
            throws Exception {
        List<ClaimedJob> jobs = claim(6);
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        this.store.unreachable = true;
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 6)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 5);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        for (Future<@Nullable RuntimeException> outcome : later) {
            assertThat(outcome.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasRootCauseMessage("connection is not available, request timed out after 30000ms");
        }
        assertThat(this.store.batches).containsExactly(5);
        assertThat(this.store.unreachableFinishes).as("single writes tried, each a connection timeout")
            .hasSize(OutcomeWriter.MAX_FAILURES_IN_A_ROW);
        this.store.unreachable = false;
        for (ClaimedJob job : jobs.subList(1, 6)) {
            assertThat(this.store.find(job.job().id()).orElseThrow().status()).as("left running for its lease")
                .isEqualTo(JobStatus.RUNNING);
        }
        assertThat(this.writer.waiting()).isZero();
        assertThat(write(succeeded(jobs.get(1))).get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("written later")
            .isNull();
    }

    @Test
    void aBatchWithOneRefusedOutcomeFirstStillWritesTheOthersOneAtATime() throws Exception {
        List<ClaimedJob> jobs = claim(5);
        this.store.refused.add(jobs.get(1).job().id());
        this.store.refused.add(jobs.get(3).job().id());
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 5)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 4);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
        assertThat(later.get(1).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(2).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
        assertThat(later.get(3).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(this.store.find(jobs.get(2).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(this.store.find(jobs.get(4).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aBatchWithSeveralRefusedOutcomesInARowStillWritesTheOthersOneAtATime() throws Exception {
        // Two handlers of one type logging the same character the database refuses: the store answers each time.
        List<ClaimedJob> jobs = claim(6);
        this.store.refused.add(jobs.get(1).job().id());
        this.store.refused.add(jobs.get(2).job().id());
        this.store.refused.add(jobs.get(3).job().id());
        Future<@Nullable RuntimeException> first = write(succeeded(jobs.get(0)));
        assertThat(this.store.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        List<Future<@Nullable RuntimeException>> later = new ArrayList<>();
        for (ClaimedJob job : jobs.subList(1, 6)) {
            later.add(write(succeeded(job)));
        }
        await().atMost(WAIT).until(() -> this.writer.waiting() == 5);
        this.store.gate.countDown();
        assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        for (int i = 0; i < 3; i++) {
            assertThat(later.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refuses the outcome of " + jobs.get(i + 1).job().id());
        }
        assertThat(later.get(3).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(later.get(4).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(this.store.find(jobs.get(4).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(this.store.find(jobs.get(5).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void aWriteThatThrowsAnErrorHandsTheLeadOnSoTheNextOutcomeIsStillWritten() throws Exception {
        List<ClaimedJob> jobs = claim(2);
        this.store.gate.countDown();
        this.store.errorOnNextFinish = true;
        assertThat(write(succeeded(jobs.get(0)))).failsWithin(WAIT)
            .withThrowableThat()
            .havingRootCause()
            .isInstanceOf(AssertionError.class)
            .withMessage("store broke");
        assertThat(write(succeeded(jobs.get(1))).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        assertThat(this.store.find(jobs.get(1).job().id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(this.writer.waiting()).isZero();
    }

    /** An in-memory store whose first single finish waits at a gate, and which records the size of each batch. */
    static final class GatedStore extends InMemoryJobStore {

        final CountDownLatch gate = new CountDownLatch(1);

        final CountDownLatch blocked = new CountDownLatch(1);

        final List<Integer> batches = new CopyOnWriteArrayList<>();

        /** Jobs whose outcome the store refuses, alone or in a batch, as PostgreSQL refuses a NUL character in text. */
        final Set<JobId> refused = ConcurrentHashMap.newKeySet();

        volatile boolean errorOnNextFinish;

        /** Whether every write fails as a store that cannot be reached makes it (a pool's connection timeout). */
        volatile boolean unreachable;

        /** The jobs whose single outcome was tried while the store could not be reached. */
        final List<JobId> unreachableFinishes = new CopyOnWriteArrayList<>();

        private volatile boolean first = true;

        @Override
        public void finish(JobId id, Lease lease, JobTransition transition, JobReport report, Instant now) {
            if (this.errorOnNextFinish) {
                this.errorOnNextFinish = false;
                throw new AssertionError("store broke");
            }
            if (this.refused.contains(id)) {
                throw new IllegalStateException("The database refuses the outcome of " + id);
            }
            if (this.unreachable) {
                this.unreachableFinishes.add(id);
                throw unreachableFailure();
            }
            if (this.first && transition.status() == JobStatus.SUCCEEDED) {
                this.first = false;
                this.blocked.countDown();
                try {
                    this.gate.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            super.finish(id, lease, transition, report, now);
        }

        /** As Spring JDBC wraps HikariCP's failure to get a connection. */
        private static IllegalStateException unreachableFailure() {
            return new IllegalStateException("Failed to obtain JDBC Connection", new SQLTransientConnectionException(
                    "connection is not available, request timed out after 30000ms"));
        }

        @Override
        public Map<JobId, RuntimeException> finishAll(List<JobOutcome> outcomes) {
            this.batches.add(outcomes.size());
            if (this.unreachable) {
                throw unreachableFailure();
            }
            for (JobOutcome outcome : outcomes) {
                if (this.refused.contains(outcome.id())) {
                    throw new IllegalStateException("The database refuses the outcome of " + outcome.id());
                }
            }
            return super.finishAll(outcomes);
        }
    }
}
