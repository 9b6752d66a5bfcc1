package dev.quark.testkit.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobError;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.store.Claim;
import dev.quark.jobs.store.ClaimedJob;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobOutcome;
import dev.quark.jobs.store.JobReport;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.JobTransition;
import dev.quark.jobs.store.NewJob;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The behaviour every {@link JobStore} must have, so that the in-memory, Redis and PostgreSQL stores (and yours) are
 * interchangeable: jobs read back as stored, idempotency keys, claims of due jobs in due order within each type's
 * room, concurrent claims that never return a job twice, the fencing of every write by the lease's token, takeover
 * of abandoned jobs with a newer token, and the transitions of the job state machine.
 * <p>
 * Subclass it and return the store and the lease store on the same backend; every test uses job types of its own,
 * so one store may serve all tests of the class:
 * <pre>{@code
 * class MyJobStoreTests extends JobStoreContractTests {
 *     protected JobStore store() { return this.store; }
 *     protected LeaseStore leaseStore() { return this.leases; }
 * }
 * }</pre>
 * A lease store whose clock is a test's manual clock overrides {@link #awaitExpiry} to move it; one on a server waits,
 * bounded, for the server to expire the lease. Instants are whole milliseconds, which every store keeps.
 */
public abstract class JobStoreContractTests {

    /** The worker most tests claim as. */
    protected static final String OWNER = "worker-a";

    /** The worker that competes with {@link #OWNER}. */
    protected static final String OTHER = "worker-b";

    /** The instant the tests' jobs are enqueued at. */
    protected static final Instant NOW = Instant.parse("2026-01-01T12:00:00.123Z");

    /** How long the leases last that tests do not let expire. */
    protected static final Duration LONG = Duration.ofMinutes(5);

    private static final AtomicLong types = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract JobStore store();

    /**
     * Returns the lease store the workers of {@link #store()} claim jobs with: the store's own
     * ({@link JobStore#leaseStore()}) when it keeps the leases in its records.
     * @return the lease store
     */
    protected abstract LeaseStore leaseStore();

    /**
     * Returns how long the leases last that tests let expire.
     * @return 300ms unless overridden
     */
    protected Duration shortDuration() {
        return Duration.ofMillis(300);
    }

    /**
     * Waits until the lease store no longer holds a lease; by default polls it, bounded.
     * @param lease the lease, acquired for {@link #shortDuration()}
     */
    protected void awaitExpiry(Lease lease) {
        await("expiry of " + lease).atMost(Duration.ofSeconds(10).plus(shortDuration()))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> leaseStore().holder(lease.resource()).map(LeaseHolder::token).filter(lease.token()::equals).isEmpty());
    }

    /**
     * Returns a job type no other test uses.
     * @param name a name for messages
     * @return the type
     */
    protected final String newType(String name) {
        return "contract-" + this.run + "-" + types.incrementAndGet() + "-" + name;
    }

    /**
     * Stores a job due when it is enqueued.
     * @param type its type
     * @return the job
     */
    protected final Job enqueue(String type) {
        return enqueue(type, NOW, null);
    }

    /**
     * Stores a job.
     * @param type its type
     * @param dueAt when it is due
     * @param key its idempotency key, or {@code null}
     * @return the job
     */
    protected final Job enqueue(String type, Instant dueAt, @Nullable String key) {
        Enqueued enqueued = store().enqueue(new NewJob(JobId.next(java.time.Clock.systemUTC()), type, "{\"n\":1}", key,
                NOW, dueAt));
        assertThat(enqueued.created()).isTrue();
        return enqueued.job();
    }

    /**
     * Returns how a worker acquires leases for its claims.
     * @param owner the worker
     * @param duration how long each lease lasts
     * @return the leases
     */
    protected final JobLeases leases(String owner, Duration duration) {
        return JobLeases.of(leaseStore(), owner, duration);
    }

    /**
     * Returns a claim of up to {@code max} jobs of some types, each with room for {@code max}.
     * @param owner the worker
     * @param max the most jobs
     * @param now the worker's clock
     * @param types the types
     * @return the claim
     */
    protected static Claim claim(String owner, int max, Instant now, String... types) {
        Map<String, Integer> room = new java.util.HashMap<>();
        for (String type : types) {
            room.put(type, max);
        }
        return new Claim(owner, max, room, Set.of(), now);
    }

    private ClaimedJob claimOne(String type) {
        enqueue(type);
        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).hasSize(1);
        return claimed.getFirst();
    }

    private static JobReport report(int progress, String... log) {
        return new JobReport(progress, null, List.of(log));
    }

    @Test
    public void aJobIsReadBackAsItWasStored() {
        String type = newType("read");
        String payload = "{\"text\":\"ünïcödé ✓ 𝄞 日本 \\\"quoted\\\" \\n\",\"n\":  12345678901234567890}";
        JobId id = JobId.next(java.time.Clock.systemUTC());
        Enqueued enqueued = store().enqueue(new NewJob(id, type, payload, "key-" + type, NOW, NOW));
        assertThat(enqueued.created()).isTrue();
        Job job = store().find(id).orElseThrow();
        assertThat(job).isEqualTo(enqueued.job());
        assertThat(job.id()).isEqualTo(id);
        assertThat(job.type()).isEqualTo(type);
        assertThat(job.payload()).isEqualTo(payload);
        assertThat(job.idempotencyKey()).isEqualTo("key-" + type);
        assertThat(job.status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(job.attempt()).isZero();
        assertThat(job.createdAt()).isEqualTo(NOW);
        assertThat(job.dueAt()).isEqualTo(NOW);
        assertThat(job.startedAt()).isNull();
        assertThat(job.finishedAt()).isNull();
        assertThat(job.owner()).isNull();
        assertThat(job.progress()).isZero();
        assertThat(job.progressMessage()).isNull();
        assertThat(job.cancelRequested()).isFalse();
        assertThat(job.lastError()).isNull();
        assertThat(job.log()).isEmpty();
        assertThat(store().find(JobId.next(java.time.Clock.systemUTC()))).isEmpty();
    }

    @Test
    public void metadataIsStoredWithTheJobAndReadBackWhereverTheJobIsRead() {
        String type = newType("metadata");
        Map<String, String> metadata = Map.of("mdc.requestId", "req-ünïcödé ✓ \"quoted\" \n {json}", "tenant", "acme",
                "empty", "", "trace.traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        JobId id = JobId.next(java.time.Clock.systemUTC());
        Enqueued enqueued = store().enqueue(new NewJob(id, type, "{}", null, NOW, NOW, metadata));
        assertThat(enqueued.job().metadata()).isEqualTo(metadata);
        assertThat(store().find(id).orElseThrow().metadata()).isEqualTo(metadata);
        assertThat(store().list(JobQuery.status(JobStatus.ENQUEUED).type(type).limit(10)).jobs())
            .singleElement()
            .satisfies((job) -> assertThat(job.metadata()).isEqualTo(metadata));
        Job plain = enqueue(type, NOW.plusSeconds(60), null);
        assertThat(store().find(plain.id()).orElseThrow().metadata()).isEmpty();

        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).singleElement().satisfies((c) -> assertThat(c.job().metadata()).isEqualTo(metadata));
        ClaimedJob first = claimed.getFirst();
        store().finish(id, first.lease(), JobTransition.retry(NOW, JobError.of(new IllegalStateException("again"))),
                report(0), NOW);
        leaseStore().release(first.lease());
        List<ClaimedJob> again = store().claimDue(claim(OTHER, 2, NOW, type), leases(OTHER, LONG));
        assertThat(again).singleElement().satisfies((c) -> assertThat(c.job().metadata()).isEqualTo(metadata));
        store().finish(id, again.getFirst().lease(), JobTransition.deadLetter(JobError.of(new IllegalStateException())),
                report(0), NOW);
        leaseStore().release(again.getFirst().lease());
        assertThat(store().requeue(id, NOW).metadata()).isEqualTo(metadata);
    }

    @Test
    public void aJobsOwnTimeoutIsStoredWithItAndReadBackWhereverTheJobIsRead() {
        String type = newType("timeout");
        Duration timeout = Duration.ofMillis(90_061_001);
        JobId id = JobId.next(java.time.Clock.systemUTC());
        Enqueued enqueued = store().enqueue(new NewJob(id, type, "{}", null, NOW, NOW, Map.of(), timeout));
        assertThat(enqueued.job().timeout()).isEqualTo(timeout);
        assertThat(store().find(id).orElseThrow().timeout()).isEqualTo(timeout);
        assertThat(store().list(JobQuery.status(JobStatus.ENQUEUED).type(type).limit(10)).jobs())
            .singleElement()
            .satisfies((job) -> assertThat(job.timeout()).isEqualTo(timeout));
        Job plain = enqueue(type, NOW.plusSeconds(60), null);
        assertThat(store().find(plain.id()).orElseThrow().timeout()).as("a job without one").isNull();

        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).singleElement().satisfies((c) -> assertThat(c.job().timeout()).isEqualTo(timeout));
        ClaimedJob first = claimed.getFirst();
        store().finish(id, first.lease(), JobTransition.retry(NOW, JobError.of(new IllegalStateException("again"))),
                report(0), NOW);
        leaseStore().release(first.lease());
        List<ClaimedJob> again = store().claimDue(claim(OTHER, 2, NOW, type), leases(OTHER, LONG));
        assertThat(again).singleElement().satisfies((c) -> assertThat(c.job().timeout()).isEqualTo(timeout));
        store().finish(id, again.getFirst().lease(), JobTransition.deadLetter(JobError.of(new IllegalStateException())),
                report(0), NOW);
        leaseStore().release(again.getFirst().lease());
        assertThat(store().requeue(id, NOW).timeout()).isEqualTo(timeout);
    }

    @Test
    public void aJobDueLaterIsScheduledAndClaimedOnlyOnceDue() {
        String type = newType("later");
        Job job = enqueue(type, NOW.plusSeconds(60), null);
        assertThat(job.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(store().claimDue(claim(OWNER, 10, NOW.plusSeconds(59), type), leases(OWNER, LONG))).isEmpty();
        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 10, NOW.plusSeconds(60), type), leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(job.id());
    }

    /**
     * {@link JobStore#nextDueAfter}: the earliest waiting job of the types due after the instant, whether delayed or
     * retried after a backoff; not a job due by then, one of another type, nor one cancelled.
     */
    @Test
    public void theNextDueTimeIsTheEarliestWaitingJobOfTheTypesDueAfterTheInstant() {
        String type = newType("next");
        String other = newType("next-other");
        assertThat(store().nextDueAfter(Set.of(type, other), NOW)).isEmpty();
        enqueue(type);
        Job later = enqueue(type, NOW.plusSeconds(50), null);
        Job cancelled = enqueue(type, NOW.plusSeconds(10), null);
        enqueue(other, NOW.plusSeconds(20), null);
        assertThat(store().nextDueAfter(Set.of(type), NOW)).contains(NOW.plusSeconds(10));
        assertThat(store().nextDueAfter(Set.of(type, other), NOW)).contains(NOW.plusSeconds(10));
        assertThat(store().cancel(cancelled.id(), NOW)).isEqualTo(CancelResult.CANCELLED);
        assertThat(store().nextDueAfter(Set.of(type), NOW)).contains(later.dueAt());
        assertThat(store().nextDueAfter(Set.of(type, other), NOW)).contains(NOW.plusSeconds(20));
        assertThat(store().nextDueAfter(Set.of(type), NOW.plusSeconds(50))).isEmpty();
        assertThat(store().nextDueAfter(Set.of(newType("none")), NOW)).isEmpty();
        assertThat(store().nextDueAfter(Set.of(), NOW)).isEmpty();

        String retried = newType("next-retry");
        ClaimedJob claimed = claimOne(retried);
        store().finish(claimed.job().id(), claimed.lease(),
                JobTransition.retry(NOW.plusSeconds(30), JobError.of(new IllegalStateException("no"))), report(0), NOW);
        assertThat(store().nextDueAfter(Set.of(retried), NOW)).contains(NOW.plusSeconds(30));
    }

    @Test
    public void racingEnqueuesOfOneJobWithItsKeyStoreItOnceAndFailNone() throws Exception {
        for (int round = 0; round < 10; round++) {
            String type = newType("race");
            NewJob job = new NewJob(JobId.next(java.time.Clock.systemUTC()), type, "{}", "race-" + type, NOW, NOW);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Enqueued>> results = new ArrayList<>();
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int n = 0; n < 8; n++) {
                    results.add(executor.submit(() -> {
                        start.await();
                        return store().enqueue(job);
                    }));
                }
                start.countDown();
                int created = 0;
                for (Future<Enqueued> result : results) {
                    Enqueued enqueued = result.get(10, TimeUnit.SECONDS);
                    assertThat(enqueued.job().id()).isEqualTo(job.id());
                    created += enqueued.created() ? 1 : 0;
                }
                assertThat(created).isEqualTo(1);
            }
            assertThat(store().list(JobQuery.all().type(type)).jobs()).hasSize(1);
        }
    }

    @Test
    public void anIdempotencyKeyYieldsTheJobThatHasIt() {
        String type = newType("key");
        Job first = enqueue(type, NOW, "order-" + type);
        Enqueued again = store().enqueue(new NewJob(JobId.next(java.time.Clock.systemUTC()), type, "{\"other\":true}",
                "order-" + type, NOW.plusSeconds(1), NOW.plusSeconds(1)));
        assertThat(again.created()).isFalse();
        assertThat(again.job()).isEqualTo(first);
        assertThat(store().list(JobQuery.all().type(type)).jobs()).containsExactly(first);
    }

    @Test
    public void aClaimTakesDueJobsInDueOrderAndStampsThemRunning() {
        String type = newType("order");
        Job third = enqueue(type, NOW.minusSeconds(1), null);
        Job first = enqueue(type, NOW.minusSeconds(3), null);
        Job second = enqueue(type, NOW.minusSeconds(2), null);
        enqueue(type, NOW.plusSeconds(1), null);
        Instant claimedAt = NOW.plusMillis(500);
        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 2, claimedAt, type), leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(first.id(), second.id());
        for (ClaimedJob job : claimed) {
            assertThat(job.job().status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.job().attempt()).isEqualTo(1);
            assertThat(job.job().owner()).isEqualTo(OWNER);
            assertThat(job.job().startedAt()).isEqualTo(claimedAt);
            assertThat(job.lease().resource()).isEqualTo(JobLeases.resource(job.job().id()));
            assertThat(job.lease().owner()).isEqualTo(OWNER);
            assertThat(job.abandonedBy()).isNull();
            assertThat(store().find(job.job().id())).contains(job.job());
        }
        assertThat(store().claimDue(claim(OWNER, 5, claimedAt, type), leases(OWNER, LONG)))
            .extracting((c) -> c.job().id())
            .containsExactly(third.id());
    }

    @Test
    public void aClaimTakesOnlyTheTypesWithRoomAndEachWithinItsRoom() {
        String full = newType("full");
        String narrow = newType("narrow");
        String wide = newType("wide");
        for (int i = 0; i < 3; i++) {
            enqueue(full);
            enqueue(narrow);
            enqueue(wide);
        }
        Claim claim = new Claim(OWNER, 5, Map.of(narrow, 1, wide, 5), Set.of(), NOW);
        List<ClaimedJob> claimed = store().claimDue(claim, leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().type()).containsOnly(narrow, wide);
        assertThat(claimed.stream().filter((c) -> c.job().type().equals(narrow))).hasSize(1);
        assertThat(claimed.stream().filter((c) -> c.job().type().equals(wide))).hasSize(3);
    }

    @Test
    public void aJobWhoseLeaseSomeoneElseHoldsIsNotClaimed() {
        String type = newType("held");
        Job held = enqueue(type);
        Job free = enqueue(type);
        leaseStore().tryAcquire(JobLeases.resource(held.id()), "intruder", LONG).orElseThrow();
        List<ClaimedJob> claimed = store().claimDue(claim(OWNER, 10, NOW, type), leases(OWNER, LONG));
        assertThat(claimed).extracting((c) -> c.job().id()).containsExactly(free.id());
        assertThat(store().find(held.id()).orElseThrow().status()).isEqualTo(JobStatus.ENQUEUED);
    }

    @Test
    public void excludedJobsAreNotClaimed() {
        String type = newType("excluded");
        Job excluded = enqueue(type);
        Job other = enqueue(type);
        Claim claim = new Claim(OWNER, 10, Map.of(type, 10), Set.of(excluded.id()), NOW);
        assertThat(store().claimDue(claim, leases(OWNER, LONG))).extracting((c) -> c.job().id())
            .containsExactly(other.id());
    }

    @Test
    @Timeout(120)
    public void concurrentClaimsNeverReturnTheSameJob() throws Exception {
        String type = newType("race");
        int jobs = 200;
        for (int i = 0; i < jobs; i++) {
            enqueue(type);
        }
        int workers = 4;
        ExecutorService threads = Executors.newFixedThreadPool(workers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<JobId>>> results = new ArrayList<>();
            for (int worker = 0; worker < workers; worker++) {
                String owner = "racer-" + worker;
                results.add(threads.submit(claimer(start, () -> {
                    List<JobId> mine = new ArrayList<>();
                    for (int round = 0; round < jobs; round++) {
                        List<ClaimedJob> claimed = store().claimDue(claim(owner, 7, NOW, type), leases(owner, LONG));
                        if (claimed.isEmpty()) {
                            break;
                        }
                        claimed.forEach((c) -> mine.add(c.job().id()));
                    }
                    return mine;
                })));
            }
            start.countDown();
            List<JobId> all = new ArrayList<>();
            for (Future<List<JobId>> result : results) {
                all.addAll(result.get(100, TimeUnit.SECONDS));
            }
            assertThat(new HashSet<>(all)).as("claimed jobs").hasSize(all.size());
            List<ClaimedJob> rest = store().claimDue(claim(OWNER, 1000, NOW, type), leases(OWNER, LONG));
            assertThat(all.size() + rest.size()).as("every job claimed once").isEqualTo(jobs);
        }
        finally {
            threads.shutdownNow();
        }
    }

    private static <T> Callable<T> claimer(CountDownLatch start, Callable<T> work) {
        return () -> {
            start.await();
            return work.call();
        };
    }

    @Test
    public void aClaimedJobIsNotClaimedAgainWhileItsLeaseHolds() {
        String type = newType("kept");
        ClaimedJob claimed = claimOne(type);
        assertThat(store().claimDue(claim(OTHER, 10, NOW.plusSeconds(3600), type), leases(OTHER, LONG))).isEmpty();
        assertThat(store().claimAbandoned(claim(OTHER, 10, NOW.plusSeconds(3600), type), leases(OTHER, LONG))).isEmpty();
        assertThat(store().find(claimed.job().id()).orElseThrow().owner()).isEqualTo(OWNER);
    }

    @Test
    public void progressAndLogAreVisibleWhileTheJobRuns() {
        ClaimedJob claimed = claimOne(newType("progress"));
        JobId id = claimed.job().id();
        store().report(id, claimed.lease(), new JobReport(40, "rendering page 4 of 10", List.of("line 1", "line 2")));
        Job running = store().find(id).orElseThrow();
        assertThat(running.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(running.progress()).isEqualTo(40);
        assertThat(running.progressMessage()).isEqualTo("rendering page 4 of 10");
        assertThat(running.log()).containsExactly("line 1", "line 2");
        store().report(id, claimed.lease(), new JobReport(50, null, List.of("line 2", "line 3")));
        assertThat(store().find(id).orElseThrow()).extracting(Job::progress, Job::progressMessage, Job::log)
            .containsExactly(50, null, List.of("line 2", "line 3"));
    }

    @Test
    public void aSucceededJobIsFinished() {
        ClaimedJob claimed = claimOne(newType("ok"));
        Instant end = NOW.plusSeconds(2);
        store().finish(claimed.job().id(), claimed.lease(), JobTransition.succeeded(), report(100, "done"), end);
        Job job = store().find(claimed.job().id()).orElseThrow();
        assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(job.finishedAt()).isEqualTo(end);
        assertThat(job.attempt()).isEqualTo(1);
        assertThat(job.progress()).isEqualTo(100);
        assertThat(job.log()).containsExactly("done");
        assertThat(job.lastError()).isNull();
    }

    @Test
    public void aFailedAttemptWaitsForItsRetryThenRunsAsTheNextAttempt() {
        String type = newType("retry");
        ClaimedJob claimed = claimOne(type);
        JobError error = JobError.of(new IllegalStateException("the service said no"));
        Instant retryAt = NOW.plusSeconds(30);
        store().finish(claimed.job().id(), claimed.lease(), JobTransition.retry(retryAt, error), report(20), NOW);
        leaseStore().release(claimed.lease());
        Job waiting = store().find(claimed.job().id()).orElseThrow();
        assertThat(waiting.status()).isEqualTo(JobStatus.RETRYING);
        assertThat(waiting.dueAt()).isEqualTo(retryAt);
        assertThat(waiting.finishedAt()).isNull();
        assertThat(waiting.lastError()).isEqualTo(error);
        assertThat(store().claimDue(claim(OWNER, 1, retryAt.minusMillis(1), type), leases(OWNER, LONG))).isEmpty();
        List<ClaimedJob> second = store().claimDue(claim(OTHER, 1, retryAt, type), leases(OTHER, LONG));
        assertThat(second).hasSize(1);
        assertThat(second.getFirst().job().attempt()).isEqualTo(2);
        assertThat(second.getFirst().job().owner()).isEqualTo(OTHER);
        assertThat(second.getFirst().job().progress()).isZero();
        assertThat(second.getFirst().job().lastError()).isEqualTo(error);
        assertThat(second.getFirst().lease().token()).isGreaterThan(claimed.lease().token());
    }

    @Test
    public void aDeadLetteredJobKeepsItsErrorAndARequeueRunsItAgainFromAttemptOne() {
        String type = newType("dead");
        ClaimedJob claimed = claimOne(type);
        JobError error = JobError.of(new IllegalArgumentException("bad order"));
        store().finish(claimed.job().id(), claimed.lease(), JobTransition.deadLetter(error), report(0, "failed"),
                NOW.plusSeconds(1));
        leaseStore().release(claimed.lease());
        Job dead = store().find(claimed.job().id()).orElseThrow();
        assertThat(dead.status()).isEqualTo(JobStatus.DEAD_LETTERED);
        assertThat(dead.finishedAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(dead.lastError()).isEqualTo(error);
        assertThat(dead.lastError().stackTrace()).contains("bad order", JobStoreContractTests.class.getName());

        Job requeued = store().requeue(dead.id(), NOW.plusSeconds(5));
        assertThat(requeued.status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(requeued.attempt()).isZero();
        assertThat(requeued.dueAt()).isEqualTo(NOW.plusSeconds(5));
        assertThat(requeued.finishedAt()).isNull();
        assertThat(requeued.lastError()).isEqualTo(error);
        assertThat(requeued.log()).containsExactly("failed");
        assertThat(store().find(dead.id())).contains(requeued);
        List<ClaimedJob> again = store().claimDue(claim(OWNER, 1, NOW.plusSeconds(5), type), leases(OWNER, LONG));
        assertThat(again).singleElement().satisfies((c) -> assertThat(c.job().attempt()).isEqualTo(1));
    }

    @Test
    public void onlyDeadLetteredJobsAreRequeued() {
        Job waiting = enqueue(newType("not-dead"));
        assertThatIllegalStateException().isThrownBy(() -> store().requeue(waiting.id(), NOW))
            .withMessage("Job " + waiting.id() + " (" + waiting.type() + ") is ENQUEUED: only DEAD_LETTERED jobs can be "
                    + "requeued");
        JobId unknown = JobId.next(java.time.Clock.systemUTC());
        assertThatExceptionOfType(JobNotFoundException.class).isThrownBy(() -> store().requeue(unknown, NOW))
            .withMessageContaining(unknown.toString());
    }

    @Test
    public void aReleasedJobIsEnqueuedAgainWithoutCountingItsAttempt() {
        String type = newType("released");
        ClaimedJob claimed = claimOne(type);
        store().finish(claimed.job().id(), claimed.lease(), JobTransition.released(NOW.plusSeconds(1)), report(30), NOW);
        Job job = store().find(claimed.job().id()).orElseThrow();
        assertThat(job.status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(job.attempt()).isZero();
        assertThat(job.dueAt()).isEqualTo(NOW.plusSeconds(1));
        leaseStore().release(claimed.lease());
        assertThat(store().claimDue(claim(OWNER, 1, NOW.plusSeconds(1), type), leases(OWNER, LONG))).singleElement()
            .satisfies((c) -> assertThat(c.job().attempt()).isEqualTo(1));
    }

    @Test
    public void writesForAnAttemptThatEndedAreRefused() {
        ClaimedJob claimed = claimOne(newType("ended"));
        JobId id = claimed.job().id();
        store().finish(id, claimed.lease(), JobTransition.succeeded(), report(100), NOW);
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store().finish(id, claimed.lease(), JobTransition.deadLetter(JobError.of(new RuntimeException())),
                    report(0), NOW))
            .withMessageContaining(claimed.lease().resource());
        assertThatExceptionOfType(LeaseLostException.class).isThrownBy(() -> store().report(id, claimed.lease(), report(5)));
        assertThat(store().find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    public void finishAllRecordsEachOutcomeAndALostLeaseRefusesTheOutcomeOfItsJobOnly() {
        ClaimedJob ended = claimOne(newType("batch-ended"));
        ClaimedJob succeeded = claimOne(newType("batch-ok"));
        ClaimedJob retried = claimOne(newType("batch-retry"));
        ClaimedJob released = claimOne(newType("batch-released"));
        store().finish(ended.job().id(), ended.lease(), JobTransition.succeeded(), report(100, "first outcome"), NOW);
        JobError error = JobError.of(new IllegalStateException("the \"service\" said {no}, twice\\"));
        Instant retryAt = NOW.plusSeconds(30);
        Instant end = NOW.plusSeconds(2);
        List<String> log = List.of("plain", "with \"quotes\", commas, {braces} and a \\ backslash", "", "NULL");
        Map<JobId, RuntimeException> refused = store().finishAll(List.of(
                new JobOutcome(ended.job().id(), ended.lease(), JobTransition.deadLetter(error), report(0, "late"), end),
                new JobOutcome(succeeded.job().id(), succeeded.lease(), JobTransition.succeeded(),
                        new JobReport(100, "done", log), end),
                new JobOutcome(retried.job().id(), retried.lease(), JobTransition.retry(retryAt, error), report(20), end),
                new JobOutcome(released.job().id(), released.lease(), JobTransition.released(NOW.plusSeconds(1)),
                        report(30), end)));
        assertThat(refused).containsOnlyKeys(ended.job().id());
        assertThat(refused.get(ended.job().id())).isInstanceOf(LeaseLostException.class)
            .hasMessageContaining(ended.lease().resource());
        Job first = store().find(ended.job().id()).orElseThrow();
        assertThat(first.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(first.log()).containsExactly("first outcome");
        assertThat(first.lastError()).isNull();
        Job done = store().find(succeeded.job().id()).orElseThrow();
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.finishedAt()).isEqualTo(end);
        assertThat(done.attempt()).isEqualTo(1);
        assertThat(done.progress()).isEqualTo(100);
        assertThat(done.progressMessage()).isEqualTo("done");
        assertThat(done.log()).isEqualTo(log);
        assertThat(done.lastError()).isNull();
        Job waiting = store().find(retried.job().id()).orElseThrow();
        assertThat(waiting.status()).isEqualTo(JobStatus.RETRYING);
        assertThat(waiting.dueAt()).isEqualTo(retryAt);
        assertThat(waiting.finishedAt()).isNull();
        assertThat(waiting.lastError()).isEqualTo(error);
        assertThat(waiting.attempt()).isEqualTo(1);
        Job again = store().find(released.job().id()).orElseThrow();
        assertThat(again.status()).isEqualTo(JobStatus.ENQUEUED);
        assertThat(again.attempt()).isZero();
        assertThat(again.dueAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(again.progress()).isEqualTo(30);
    }

    @Test
    public void finishAllOfNothingWritesNothingAndTwoOutcomesForOneJobAreRejectedNamingIt() {
        assertThat(store().finishAll(List.of())).isEmpty();
        ClaimedJob claimed = claimOne(newType("batch-twice"));
        JobId id = claimed.job().id();
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
            .isThrownBy(() -> store().finishAll(List.of(
                    new JobOutcome(id, claimed.lease(), JobTransition.succeeded(), report(100), NOW),
                    new JobOutcome(id, claimed.lease(), JobTransition.deadLetter(JobError.of(new RuntimeException())),
                            report(0), NOW))))
            .withMessage("Job " + id + " has two outcomes in one batch; an attempt ends once");
        assertThat(store().find(id).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    public void anAbandonedJobIsTakenOverWithANewerTokenAndTheStaleWorkersWritesAreRefused() {
        String type = newType("abandoned");
        enqueue(type);
        List<ClaimedJob> first = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, shortDuration()));
        ClaimedJob stale = first.getFirst();
        JobId id = stale.job().id();
        store().report(id, stale.lease(), report(10, "before the pause"));
        awaitExpiry(stale.lease());

        List<ClaimedJob> takenOver = store().claimAbandoned(claim(OTHER, 10, NOW.plusSeconds(60), type), leases(OTHER, LONG));
        assertThat(takenOver).singleElement().satisfies((c) -> {
            assertThat(c.job().id()).isEqualTo(id);
            assertThat(c.job().status()).isEqualTo(JobStatus.RUNNING);
            assertThat(c.job().attempt()).isEqualTo(2);
            assertThat(c.job().owner()).isEqualTo(OTHER);
            assertThat(c.job().log()).containsExactly("before the pause");
            assertThat(c.abandonedBy()).isEqualTo(OWNER);
            assertThat(c.lease().token()).isGreaterThan(stale.lease().token());
        });
        ClaimedJob current = takenOver.getFirst();

        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store().report(id, stale.lease(), report(90, "after the pause")));
        assertThatExceptionOfType(LeaseLostException.class)
            .isThrownBy(() -> store().finish(id, stale.lease(), JobTransition.succeeded(), report(100), NOW));
        store().finish(id, current.lease(), JobTransition.deadLetter(JobError.of(new IllegalStateException("no"))),
                report(50, "new owner"), NOW.plusSeconds(61));
        Job job = store().find(id).orElseThrow();
        assertThat(job.status()).isEqualTo(JobStatus.DEAD_LETTERED);
        assertThat(job.owner()).isEqualTo(OTHER);
        assertThat(job.log()).containsExactly("new owner");
    }

    @Test
    public void runningJobsWhoseLeaseIsHeldOrThatAreExcludedAreNotTakenOver() {
        String type = newType("alive");
        ClaimedJob alive = claimOne(type);
        assertThat(store().claimAbandoned(claim(OTHER, 10, NOW, type), leases(OTHER, LONG))).isEmpty();
        Job other = enqueue(type);
        List<ClaimedJob> shortLived = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, shortDuration()));
        assertThat(shortLived).singleElement().satisfies((c) -> assertThat(c.job().id()).isEqualTo(other.id()));
        awaitExpiry(shortLived.getFirst().lease());
        Claim excluding = new Claim(OWNER, 10, Map.of(type, 10), Set.of(other.id()), NOW);
        assertThat(store().claimAbandoned(excluding, leases(OWNER, LONG))).isEmpty();
        assertThat(store().find(alive.job().id()).orElseThrow().attempt()).isEqualTo(1);
    }

    @Test
    public void cancellingAWaitingJobCancelsItAndARunningOneRecordsTheRequest() {
        String type = newType("cancel");
        Job waiting = enqueue(type, NOW.plusSeconds(60), null);
        assertThat(store().cancel(waiting.id(), NOW.plusSeconds(1))).isEqualTo(CancelResult.CANCELLED);
        Job cancelled = store().find(waiting.id()).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.finishedAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(store().claimDue(claim(OWNER, 10, NOW.plusSeconds(120), type), leases(OWNER, LONG))).isEmpty();
        assertThat(store().cancel(waiting.id(), NOW)).isEqualTo(CancelResult.ALREADY_FINISHED);

        ClaimedJob running = claimOne(type);
        assertThat(store().cancellationsRequested(List.of(running.job().id()))).isEmpty();
        assertThat(store().cancel(running.job().id(), NOW)).isEqualTo(CancelResult.REQUESTED);
        assertThat(store().find(running.job().id()).orElseThrow()).extracting(Job::status, Job::cancelRequested)
            .containsExactly(JobStatus.RUNNING, true);
        assertThat(store().cancellationsRequested(List.of(running.job().id(), waiting.id())))
            .containsExactly(running.job().id());
        store().finish(running.job().id(), running.lease(), JobTransition.cancelled(), report(0), NOW);
        assertThat(store().find(running.job().id()).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(store().cancellationsRequested(List.of(running.job().id()))).isEmpty();

        JobId unknown = JobId.next(java.time.Clock.systemUTC());
        assertThatExceptionOfType(JobNotFoundException.class).isThrownBy(() -> store().cancel(unknown, NOW));
    }

    @Test
    public void purgeDeletesTheFinishedJobsOfTheGivenStatusesThatFinishedBeforeAnInstant() {
        String type = newType("purge");
        Job old = finish(type, JobTransition.succeeded(), NOW.minusSeconds(100), "old-" + type);
        Job recent = finish(type, JobTransition.succeeded(), NOW, null);
        Job dead = finish(type, JobTransition.deadLetter(JobError.of(new RuntimeException())), NOW.minusSeconds(100), null);
        Job waiting = enqueue(type);
        int purged = store().purge(EnumSet.of(JobStatus.SUCCEEDED), NOW.minusSeconds(10));
        assertThat(purged).isGreaterThanOrEqualTo(1);
        assertThat(store().find(old.id())).isEmpty();
        assertThat(store().find(recent.id())).isPresent();
        assertThat(store().find(dead.id())).isPresent();
        assertThat(store().find(waiting.id())).isPresent();
        Enqueued reused = store().enqueue(new NewJob(JobId.next(java.time.Clock.systemUTC()), type, "{}", "old-" + type, NOW,
                NOW));
        assertThat(reused.created()).as("the purged job's key is free again").isTrue();
    }

    private Job finish(String type, JobTransition transition, Instant at, @Nullable String key) {
        Job job = enqueue(type, NOW.minusSeconds(1000), key);
        List<ClaimedJob> claimed = store().claimDue(new Claim(OWNER, 1, Map.of(type, 1), Set.of(), NOW.minusSeconds(1000)),
                leases(OWNER, LONG));
        assertThat(claimed).singleElement().satisfies((c) -> assertThat(c.job().id()).isEqualTo(job.id()));
        store().finish(job.id(), claimed.getFirst().lease(), transition, report(0), at);
        leaseStore().release(claimed.getFirst().lease());
        return store().find(job.id()).orElseThrow();
    }

    @Test
    public void jobsAreListedByStatusAndTypeAPageAtATimeInTheOrderOfTheirIds() {
        String type = newType("list");
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            jobs.add(enqueue(type));
        }
        ClaimedJob running = store().claimDue(claim(OWNER, 1, NOW, type), leases(OWNER, LONG)).getFirst();
        List<JobId> ids = new ArrayList<>(jobs.stream().map(Job::id).toList());
        Collections.sort(ids);

        JobQuery query = JobQuery.all().type(type).limit(3);
        List<JobId> listed = new ArrayList<>();
        JobPage page = store().list(query);
        for (int pages = 0; pages < 10; pages++) {
            page.jobs().forEach((job) -> listed.add(job.id()));
            if (page.next() == null) {
                break;
            }
            page = store().list(query.after(page.next()));
        }
        assertThat(listed).containsExactlyElementsOf(ids);
        assertThat(store().list(JobQuery.status(JobStatus.RUNNING).type(type)).jobs()).extracting(Job::id)
            .containsExactly(running.job().id());
        assertThat(store().list(JobQuery.status(JobStatus.ENQUEUED, JobStatus.RUNNING).type(type).limit(100)).jobs())
            .hasSize(7);
        assertThat(store().list(JobQuery.status(JobStatus.DEAD_LETTERED).type(type)).jobs()).isEmpty();
        assertThat(store().list(JobQuery.all().type(type).limit(7)).next()).isEqualTo(ids.getLast());
        assertThat(store().list(JobQuery.all().type(type).limit(8)).next()).isNull();
    }

    @Test
    public void countsCoverEveryStatus() {
        Map<JobStatus, Long> before = store().countByStatus();
        assertThat(before).containsOnlyKeys(JobStatus.values());
        String type = newType("count");
        enqueue(type);
        enqueue(type, NOW.plusSeconds(60), null);
        claimOne(type);
        Map<JobStatus, Long> after = store().countByStatus();
        assertThat(after.get(JobStatus.ENQUEUED) - before.get(JobStatus.ENQUEUED)).isEqualTo(1);
        assertThat(after.get(JobStatus.SCHEDULED) - before.get(JobStatus.SCHEDULED)).isEqualTo(1);
        assertThat(after.get(JobStatus.RUNNING) - before.get(JobStatus.RUNNING)).isEqualTo(1);
    }
}
