package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
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
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.filter.MdcJobFilter;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Orchestrators on two nodes sharing one store and its lease store, in real time: what every backend that is shared
 * between nodes must hold. Subclasses give the stores.
 */
abstract class TwoNodeOrchestratorTests {

    private static final RetryPolicy IMMEDIATE_RETRIES = RetryPolicy.builder().maxAttempts(3)
        .fixedBackoff(Duration.ZERO)
        .jitter(0)
        .build();

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<JobOrchestrator> nodes = new ArrayList<>();

    /**
     * Returns the job store the nodes share.
     * @return the store
     */
    protected abstract JobStore store();

    /**
     * Returns the lease store the nodes share.
     * @return the lease store
     */
    protected abstract LeaseStore leases();

    /**
     * Makes a lease expire on the backend at once, as a long pause of its holder would.
     * @param resource the lease's resource
     */
    protected abstract void expireLease(String resource);

    /**
     * Returns how many job leases are still held.
     * @return the number
     */
    protected abstract long heldJobLeases();

    @AfterEach
    void stopNodes() {
        this.nodes.forEach(JobOrchestrator::close);
    }

    private JobOrchestrator node(String owner, JobHandlerRegistry handlers, Duration abandonedCheckInterval) {
        return node(owner, handlers, abandonedCheckInterval, JobFilters.NONE);
    }

    private JobOrchestrator node(String owner, JobHandlerRegistry handlers, Duration abandonedCheckInterval,
            JobFilters filters) {
        return node(owner, handlers, abandonedCheckInterval, filters, Duration.ofMillis(50));
    }

    private JobOrchestrator node(String owner, JobHandlerRegistry handlers, Duration abandonedCheckInterval,
            JobFilters filters, Duration pollInterval) {
        JobOrchestrator orchestrator = JobOrchestrator.builder(store(), leases(), handlers, this.codec)
            .filters(filters)
            .owner(owner)
            .workers(4)
            .pollInterval(pollInterval)
            .abandonedCheckInterval(abandonedCheckInterval)
            .shutdownTimeout(Duration.ofSeconds(10))
            .build();
        this.nodes.add(orchestrator);
        return orchestrator;
    }

    /**
     * Returns how many jobs the large batch has: the 10,000 of issue 13's reliability check, on every backend.
     * @return the number of jobs
     */
    protected int largeBatch() {
        return 10_000;
    }

    /**
     * Returns how often the nodes of the large batch poll the store.
     * @return the poll interval
     */
    protected Duration largeBatchPollInterval() {
        return Duration.ofMillis(20);
    }

    @Test
    @Timeout(300)
    void twoNodesRunEveryJobOfALargeBatchExactlyOnceOrDeadLetterItWithItsError() throws Exception {
        int jobs = largeBatch();
        Map<Integer, List<Execution>> executions = new ConcurrentHashMap<>();
        Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
        List<Integer> overlaps = new CopyOnWriteArrayList<>();
        JobHandler<Work> handler = JobHandler.of("stress", Work.class, (work, context) -> {
            if (!inFlight.add(work.n())) {
                overlaps.add(work.n());
            }
            String node = String.valueOf(Thread.currentThread().getName());
            try {
                String failure = Work.failure(work.n(), context.attempt());
                executions.computeIfAbsent(work.n(), (n) -> new CopyOnWriteArrayList<>())
                    .add(new Execution(context.attempt(), node, failure));
                if (failure != null && work.n() % Work.POISON == 0) {
                    throw new NonRetryableJobException(failure);
                }
                if (failure != null) {
                    throw new IllegalStateException(failure);
                }
            }
            finally {
                inFlight.remove(work.n());
            }
        });
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, IMMEDIATE_RETRIES,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store(), handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE);
        JobOrchestrator a = node("node-a", handlers, Duration.ofSeconds(30), JobFilters.NONE, largeBatchPollInterval());
        JobOrchestrator b = node("node-b", handlers, Duration.ofSeconds(30), JobFilters.NONE, largeBatchPollInterval());
        a.start();
        b.start();
        long started = System.nanoTime();
        Map<JobId, Integer> ids = new ConcurrentHashMap<>();
        try (ExecutorService enqueuers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            int chunks = 8;
            for (int chunk = 0; chunk < chunks; chunk++) {
                int first = chunk;
                done.add(enqueuers.submit(() -> {
                    for (int n = first + 1; n <= jobs; n += chunks) {
                        ids.put(queue.enqueue("stress", new Work(n)), n);
                    }
                }));
            }
            for (Future<?> each : done) {
                each.get(120, TimeUnit.SECONDS);
            }
        }
        long enqueued = System.nanoTime();

        // Other tests of the class may have left finished jobs in the store, never waiting or running ones.
        await("all jobs finished").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Map<JobStatus, Long> counts = store().countByStatus();
            return counts.get(JobStatus.ENQUEUED) + counts.get(JobStatus.SCHEDULED) + counts.get(JobStatus.RETRYING)
                    + counts.get(JobStatus.RUNNING) == 0;
        });
        long finished = System.nanoTime();
        System.out.printf("%s: %d jobs on 2 nodes x 4 workers: enqueued in %d ms, all finished after %d ms "
                + "(%.0f jobs/s end to end)%n", getClass().getSimpleName(), jobs, (enqueued - started) / 1_000_000,
                (finished - started) / 1_000_000, jobs * 1e9 / (finished - started));

        List<Job> stored = all();
        assertThat(stored).as("every job, none lost").hasSize(jobs);
        assertThat(ids).hasSize(jobs);
        Map<String, Integer> byNode = new HashMap<>();
        int deadLettered = 0;
        int retried = 0;
        for (Job job : stored) {
            int n = ids.get(job.id());
            List<Execution> ran = executions.getOrDefault(n, List.of());
            int expectedAttempts = Work.attempts(n, IMMEDIATE_RETRIES.maxAttempts());
            assertThat(ran).as("executions of work %d, recorded by its handler", n).hasSize(expectedAttempts);
            assertThat(ran).extracting(Execution::attempt)
                .as("attempts of work %d", n)
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, expectedAttempts).boxed().toList());
            assertThat(job.attempt()).as("attempt of work %d", n).isEqualTo(expectedAttempts);
            byNode.merge(String.valueOf(job.owner()), 1, Integer::sum);
            retried += (expectedAttempts > 1) ? 1 : 0;
            Execution last = ran.stream().filter((e) -> e.attempt() == expectedAttempts).findFirst().orElseThrow();
            if (last.failure() != null) {
                deadLettered++;
                assertThat(job.status()).as("job of work %d", n).isEqualTo(JobStatus.DEAD_LETTERED);
                assertThat(job.lastError().message()).as("the error its handler recorded").isEqualTo(last.failure());
            }
            else {
                assertThat(job.status()).as("job of work %d", n).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(ran).as("successful runs of work %d", n).filteredOn((e) -> e.failure() == null).hasSize(1);
            }
        }
        assertThat(executions).as("no execution of a job that is not stored").hasSize(jobs);
        assertThat(deadLettered).as("poison and always failing jobs").isEqualTo(Work.deadLettered(jobs));
        assertThat(retried).isGreaterThan(jobs / 20);
        assertThat(overlaps).as("jobs run twice at once").isEmpty();
        assertThat(byNode.keySet()).containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(heldJobLeases()).as("leases still held").isZero();
    }

    private List<Job> all() {
        List<Job> jobs = new ArrayList<>();
        JobQuery query = JobQuery.status(JobStatus.SUCCEEDED, JobStatus.DEAD_LETTERED).type("stress").limit(1000);
        JobPage page = store().list(query);
        for (int pages = 0; pages < 1000; pages++) {
            jobs.addAll(page.jobs());
            if (page.next() == null) {
                break;
            }
            page = store().list(query.after(page.next()));
        }
        return jobs;
    }

    @Test
    @Timeout(120)
    void aNodeThatLostItsLeaseCannotOverwriteTheResultOfTheNodeThatTookTheJobOver() throws Exception {
        CountDownLatch staleStarted = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        List<Throwable> staleWrites = new CopyOnWriteArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        JobHandler<Work> handler = new JobHandler<>() {
            @Override
            public void handle(Work work, JobContext context) throws Exception {
                if (runs.incrementAndGet() == 1) {
                    staleStarted.countDown();
                    assertThat(resume.await(60, TimeUnit.SECONDS)).isTrue();
                    try {
                        context.progress(90, "written by the stale node");
                    }
                    catch (LeaseLostException ex) {
                        staleWrites.add(ex);
                        throw ex;
                    }
                    return;
                }
                context.progress(50, "written by the new owner");
            }

            @Override
            public String type() {
                return "paused";
            }

            @Override
            public java.lang.reflect.Type payloadType() {
                return Work.class;
            }
        };
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, IMMEDIATE_RETRIES,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store(), handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE);
        JobOrchestrator stale = node("stale-node", handlers, Duration.ofMinutes(10));
        stale.start();
        JobId id = queue.enqueue("paused", new Work(1));
        assertThat(staleStarted.await(30, TimeUnit.SECONDS)).isTrue();

        // A long pause: the lease expires on the server's clock before the stale node renews it.
        expireLease(JobLeases.resource(id));
        JobOrchestrator successor = node("successor", handlers, Duration.ofMillis(100));
        successor.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> store().find(id).orElseThrow().status() == JobStatus.SUCCEEDED);
        resume.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> stale.runningJobs().isEmpty());

        Job job = store().find(id).orElseThrow();
        assertThat(job.owner()).isEqualTo("successor");
        assertThat(job.attempt()).isEqualTo(2);
        assertThat(job.progressMessage()).isEqualTo("written by the new owner");
        assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(staleWrites).singleElement().isInstanceOf(LeaseLostException.class);
        assertThat(store().countByStatus().keySet()).containsAll(EnumSet.allOf(JobStatus.class));
    }

    @Test
    @Timeout(120)
    void filtersSeeEveryAttemptOnBothNodesAndAThrowingFilterLosesNoJob() {
        int jobs = 40;
        Map<String, AtomicInteger> hooks = new ConcurrentHashMap<>();
        JobFilter counting = new JobFilter() {
            @Override
            public void onEnqueued(Job job) {
                count("enqueued");
            }

            @Override
            public void beforeRun(Job job, JobContext context) {
                count("before");
            }

            @Override
            public void afterRun(Job job, JobContext context, @Nullable Throwable failure) {
                count((failure == null) ? "after-returned" : "after-threw");
            }

            @Override
            public void onDeadLetter(Job job, dev.quark.jobs.JobError error) {
                count("dead-letter");
            }

            private void count(String hook) {
                hooks.computeIfAbsent(hook, (name) -> new AtomicInteger()).incrementAndGet();
            }
        };
        JobFilter throwing = new JobFilter() {
            @Override
            public void onEnqueued(Job job) {
                throw new IllegalStateException("broken filter");
            }

            @Override
            public void beforeRun(Job job, JobContext context) {
                throw new IllegalStateException("broken filter");
            }

            @Override
            public void afterRun(Job job, JobContext context, @Nullable Throwable failure) {
                throw new IllegalStateException("broken filter");
            }

            @Override
            public void onDeadLetter(Job job, dev.quark.jobs.JobError error) {
                throw new IllegalStateException("broken filter");
            }
        };
        JobFilters filters = new JobFilters(List.of(throwing, counting));
        JobHandler<Work> handler = JobHandler.of("filtered", Work.class, (work, context) -> {
            if (work.n() % 10 == 0) {
                throw new NonRetryableJobException("work " + work.n() + " is poison");
            }
        });
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, IMMEDIATE_RETRIES,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store(), null, handlers, this.codec, Clock.systemUTC(),
                JobMetrics.NONE, filters);
        for (int n = 1; n <= jobs; n++) {
            queue.enqueue("filtered", new Work(n));
        }
        node("filter-a", handlers, Duration.ofSeconds(30), filters).start();
        node("filter-b", handlers, Duration.ofSeconds(30), filters).start();
        await("all filtered jobs finished").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<Job> finished = store().list(JobQuery.status(JobStatus.SUCCEEDED, JobStatus.DEAD_LETTERED)
                .type("filtered")
                .limit(1000)).jobs();
            return finished.size() == jobs;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> hooks.getOrDefault("dead-letter", new AtomicInteger()).get() == 4);
        assertThat(hooks.get("enqueued")).hasValue(jobs);
        assertThat(hooks.get("before")).hasValue(jobs);
        assertThat(hooks.get("after-returned")).hasValue(36);
        assertThat(hooks.get("after-threw")).hasValue(4);
        assertThat(store().list(JobQuery.status(JobStatus.SUCCEEDED).type("filtered").limit(1000)).jobs()).hasSize(36);
    }

    @Test
    @Timeout(120)
    void enqueueFiltersChangeOrVetoJobsAndTheMdcTheyCarryIsRestoredOnTheWorkerAndClearedAfter() {
        int jobs = 20;
        Map<Integer, String> handlerSaw = new ConcurrentHashMap<>();
        Map<Integer, String> beforeRunSaw = new ConcurrentHashMap<>();
        Map<Integer, String> afterScopesSaw = new ConcurrentHashMap<>();
        // Opened first, closed last: sees the MDC while the attempt runs, and after the MDC filter's scope closed.
        JobFilter probe = new JobFilter() {
            @Override
            public Scope openScope(Job job) {
                return () -> afterScopesSaw.put(number(job), mdc());
            }

            @Override
            public void beforeRun(Job job, JobContext context) {
                beforeRunSaw.put(number(job), mdc());
            }
        };
        JobFilter tenantRequired = new JobFilter() {
            @Override
            public void beforeEnqueue(dev.quark.jobs.JobDraft job) {
                if (job.metadata().get("mdc.tenant") == null) {
                    job.veto("no tenant in the MDC");
                }
                Work work = (Work) job.payload();
                if (work.n() % 2 == 0) {
                    job.replacePayload(new Work(work.n() + 1000));
                    job.putMetadata("changed", "even");
                }
            }
        };
        JobFilter delaying = new JobFilter() {
            @Override
            public void beforeEnqueue(dev.quark.jobs.JobDraft job) {
                job.runAfter(Duration.ofMillis(300));
            }
        };
        JobFilters filters = new JobFilters(List.of(probe, new MdcJobFilter(List.of("requestId", "tenant")),
                tenantRequired, delaying));
        JobHandler<Work> handler = JobHandler.of("mdc", Work.class, (work, context) -> {
            handlerSaw.put(work.n() % 1000, mdc() + " " + work.n() + " " + context.metadata().get("changed"));
        });
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, IMMEDIATE_RETRIES,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store(), null, handlers, this.codec, Clock.systemUTC(),
                JobMetrics.NONE, filters);

        assertThatExceptionOfType(JobVetoedException.class).isThrownBy(() -> queue.enqueue("mdc", new Work(0)))
            .withMessage("Job filter " + tenantRequired.getClass().getName() + " vetoed the 'mdc' job: no tenant in "
                    + "the MDC");
        assertThat(store().list(JobQuery.all().type("mdc").limit(10)).jobs()).as("nothing stored").isEmpty();

        List<JobId> ids = new ArrayList<>();
        for (int n = 1; n <= jobs; n++) {
            MDC.put("requestId", "req-" + n);
            MDC.put("tenant", "acme");
            try {
                ids.add(queue.enqueue("mdc", new Work(n)));
            }
            finally {
                MDC.clear();
            }
        }
        Job first = store().find(ids.getFirst()).orElseThrow();
        assertThat(first.status()).isEqualTo(JobStatus.SCHEDULED);
        assertThat(Duration.between(first.createdAt(), first.dueAt())).isEqualTo(Duration.ofMillis(300));
        node("mdc-a", handlers, Duration.ofSeconds(30), filters).start();
        node("mdc-b", handlers, Duration.ofSeconds(30), filters).start();
        await("all MDC jobs finished").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> store().list(JobQuery.status(JobStatus.SUCCEEDED).type("mdc").limit(100)).jobs().size() == jobs
                    && afterScopesSaw.size() == jobs);

        for (int i = 0; i < jobs; i++) {
            int n = i + 1;
            Job job = store().find(ids.get(i)).orElseThrow();
            Map<String, String> metadata = new HashMap<>(Map.of("mdc.requestId", "req-" + n, "mdc.tenant", "acme"));
            if (n % 2 == 0) {
                metadata.put("changed", "even");
            }
            assertThat(job.metadata()).as("metadata of job %d", n).isEqualTo(metadata);
            int payload = (n % 2 == 0) ? n + 1000 : n;
            assertThat(job.payload()).isEqualTo("{\"n\":" + payload + "}");
            assertThat(handlerSaw.get(n)).isEqualTo("req-" + n + "/acme " + payload + " " + metadata.get("changed"));
            assertThat(beforeRunSaw.get(payload)).isEqualTo("req-" + n + "/acme");
            assertThat(afterScopesSaw.get(payload)).as("MDC after the attempt of job %d", n).isEqualTo("null/null");
        }
    }

    private static int number(Job job) {
        String payload = job.payload();
        return Integer.parseInt(payload.substring(payload.indexOf(':') + 1, payload.indexOf('}')));
    }

    private static String mdc() {
        return MDC.get("requestId") + "/" + MDC.get("tenant");
    }

    /** What the handler of the large batch recorded of one execution: the failure it threw, or {@code null}. */
    record Execution(int attempt, String thread, @Nullable String failure) {
    }

    /**
     * One job's input; its number decides how it behaves: every 97th is poison (fails once, not retryable), every
     * 101st fails every attempt (dead-lettered once its attempts are spent), every 13th fails its first attempt only.
     */
    record Work(int n) {

        static final int POISON = 97;

        static final int ALWAYS_FAILING = 101;

        static final int FAILING_ONCE = 13;

        static @Nullable String failure(int n, int attempt) {
            if (n % POISON == 0) {
                return "work " + n + " is poison";
            }
            if (n % ALWAYS_FAILING == 0) {
                return "work " + n + " fails attempt " + attempt;
            }
            if (n % FAILING_ONCE == 0 && attempt == 1) {
                return "work " + n + " fails its first attempt";
            }
            return null;
        }

        static int attempts(int n, int maxAttempts) {
            if (n % POISON == 0) {
                return 1;
            }
            if (n % ALWAYS_FAILING == 0) {
                return maxAttempts;
            }
            return (n % FAILING_ONCE == 0) ? 2 : 1;
        }

        static int deadLettered(int jobs) {
            int count = 0;
            for (int n = 1; n <= jobs; n++) {
                count += (n % POISON == 0 || n % ALWAYS_FAILING == 0) ? 1 : 0;
            }
            return count;
        }
    }
}
