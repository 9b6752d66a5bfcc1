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
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
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
        JobOrchestrator orchestrator = JobOrchestrator.builder(store(), leases(), handlers, this.codec)
            .filters(filters)
            .owner(owner)
            .workers(4)
            .pollInterval(Duration.ofMillis(50))
            .abandonedCheckInterval(abandonedCheckInterval)
            .shutdownTimeout(Duration.ofSeconds(10))
            .build();
        this.nodes.add(orchestrator);
        return orchestrator;
    }

    @Test
    @Timeout(300)
    void twoNodesRunEveryJobOfALargeBatchExactlyOnceOrDeadLetterItWithItsError() {
        int jobs = 1200;
        Map<Integer, AtomicInteger> successes = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
        List<Integer> overlaps = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> byNode = new ConcurrentHashMap<>();
        JobHandler<Work> handler = JobHandler.of("stress", Work.class, (work, context) -> {
            if (!inFlight.add(work.n())) {
                overlaps.add(work.n());
            }
            try {
                attempts.computeIfAbsent(work.n(), (n) -> new AtomicInteger()).incrementAndGet();
                if (work.n() % 97 == 0) {
                    throw new NonRetryableJobException("work " + work.n() + " is poison");
                }
                if (work.n() % 13 == 0 && context.attempt() == 1) {
                    throw new IllegalStateException("work " + work.n() + " fails its first attempt");
                }
                successes.computeIfAbsent(work.n(), (n) -> new AtomicInteger()).incrementAndGet();
            }
            finally {
                inFlight.remove(work.n());
            }
        });
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(handler), this.codec, IMMEDIATE_RETRIES,
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(store(), handlers, this.codec, Clock.systemUTC(), JobMetrics.NONE);
        Map<JobId, Integer> ids = new HashMap<>();
        for (int n = 1; n <= jobs; n++) {
            ids.put(queue.enqueue("stress", new Work(n)), n);
        }
        JobOrchestrator a = node("node-a", handlers, Duration.ofSeconds(30));
        JobOrchestrator b = node("node-b", handlers, Duration.ofSeconds(30));
        a.start();
        b.start();

        await("all jobs finished").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Map<JobStatus, Long> counts = store().countByStatus();
            return counts.get(JobStatus.SUCCEEDED) + counts.get(JobStatus.DEAD_LETTERED) == jobs;
        });

        List<Job> finished = all();
        assertThat(finished).hasSize(jobs);
        for (Job job : finished) {
            int n = ids.get(job.id());
            byNode.computeIfAbsent(String.valueOf(job.owner()), (owner) -> new AtomicInteger()).incrementAndGet();
            if (n % 97 == 0) {
                assertThat(job.status()).as("job of work %d", n).isEqualTo(JobStatus.DEAD_LETTERED);
                assertThat(job.lastError().message()).isEqualTo("work " + n + " is poison");
                assertThat(job.attempt()).isEqualTo(1);
                assertThat(successes).doesNotContainKey(n);
            }
            else {
                assertThat(job.status()).as("job of work %d", n).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(successes.get(n)).as("successful runs of work %d", n).hasValue(1);
                assertThat(job.attempt()).isEqualTo((n % 13 == 0) ? 2 : 1);
                assertThat(attempts.get(n)).hasValue(job.attempt());
            }
        }
        assertThat(overlaps).as("jobs run twice at once").isEmpty();
        assertThat(byNode.keySet()).containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(heldJobLeases()).as("leases still held").isZero();
    }

    private List<Job> all() {
        List<Job> jobs = new ArrayList<>();
        JobQuery query = JobQuery.status(JobStatus.SUCCEEDED, JobStatus.DEAD_LETTERED).type("stress").limit(1000);
        JobPage page = store().list(query);
        for (int pages = 0; pages < 100; pages++) {
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

    record Work(int n) {
    }
}
