package dev.quark.testkit.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.FailurePolicy;
import dev.quark.jobs.InvalidWorkflowException;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.NonRetryableJobException;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.StepStatus;
import dev.quark.jobs.UnknownJobTypeException;
import dev.quark.jobs.Workflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowNotFoundException;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobFilters;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobOutcomeListener;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.runtime.WorkflowAdvancer;
import dev.quark.jobs.runtime.WorkflowSweeper;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.lease.LeaseStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The behaviour every {@link WorkflowStore} must have, with the {@link JobStore} and {@link LeaseStore} of the same
 * backend: workflows read back as stored, updates by compare-and-set on the version, the active ones listed in id
 * order; and, through {@link DefaultJobQueue} and {@link JobOrchestrator}s in real time, {@link JobWorkflow}s run as
 * declared — fan-out and fan-in in dependency order, failures that fail or skip their dependents, continuations on
 * failure and on completion, the aggregate status, cancellation, concurrent advances that release each step once,
 * and a node that stops before releasing a finished step's dependents, whose work another node's sweep finishes.
 * <p>
 * Subclass it and return the three stores; every test uses job types and workflow names of its own, so one set of
 * stores may serve all tests of the class.
 */
public abstract class WorkflowStoreContractTests {

    private static final AtomicLong counter = new AtomicLong();

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final String run = Long.toHexString(System.nanoTime());

    private final JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract WorkflowStore workflowStore();

    /**
     * Returns the job store of the same backend, where the steps' jobs are kept.
     * @return the job store
     */
    protected abstract JobStore jobStore();

    /**
     * Returns the lease store the orchestrators claim jobs with.
     * @return the lease store
     */
    protected abstract LeaseStore leaseStore();

    /** A step's payload. */
    public record Work(String step) {
    }

    @AfterEach
    void closeNodes() throws Exception {
        for (AutoCloseable closeable : this.closeables.reversed()) {
            closeable.close();
        }
    }

    private String type(String name) {
        return name + "-" + this.run + "-" + counter.incrementAndGet();
    }

    private StoredWorkflow stored(WorkflowId id, boolean active, String document) {
        Instant now = Instant.parse("2026-12-01T10:00:00.123456Z");
        return new StoredWorkflow(id, "wf-" + this.run, active ? WorkflowStatus.RUNNING : WorkflowStatus.SUCCEEDED,
                active, 0, document, now, now.plusSeconds(1));
    }

    // --- the store ---

    @Test
    void aWorkflowReadsBackAsStoredAtVersionOne() {
        WorkflowId id = WorkflowId.next(Clock.systemUTC());
        StoredWorkflow workflow = stored(id, true, "{\"steps\":[\"ünïcödé ✓\"]}");
        workflowStore().create(workflow);
        StoredWorkflow read = workflowStore().find(id).orElseThrow();
        assertThat(read).isEqualTo(new StoredWorkflow(id, workflow.name(), WorkflowStatus.RUNNING, true, 1,
                workflow.document(), workflow.createdAt(), workflow.updatedAt()));
        assertThat(workflowStore().find(WorkflowId.next(Clock.systemUTC()))).isEmpty();
    }

    @Test
    void creatingAWorkflowTwiceFailsNamingItsId() {
        WorkflowId id = WorkflowId.next(Clock.systemUTC());
        workflowStore().create(stored(id, true, "{}"));
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> workflowStore().create(stored(id, true, "{\"other\":1}")))
            .withMessageContaining(id.toString());
        assertThat(workflowStore().find(id).orElseThrow().document()).isEqualTo("{}");
    }

    @Test
    void anUpdateAtAStaleVersionIsRefused() {
        WorkflowId id = WorkflowId.next(Clock.systemUTC());
        workflowStore().create(stored(id, true, "{\"v\":1}"));
        assertThat(workflowStore().update(stored(id, true, "{\"v\":2}"), 1)).isTrue();
        assertThat(workflowStore().update(stored(id, true, "{\"lost\":true}"), 1)).isFalse();
        StoredWorkflow read = workflowStore().find(id).orElseThrow();
        assertThat(read.version()).isEqualTo(2);
        assertThat(read.document()).isEqualTo("{\"v\":2}");
        assertThat(workflowStore().update(stored(WorkflowId.next(Clock.systemUTC()), true, "{}"), 1)).isFalse();
    }

    @Test
    void concurrentUpdatesAtOneVersionLetExactlyOneWin() throws Exception {
        WorkflowId id = WorkflowId.next(Clock.systemUTC());
        workflowStore().create(stored(id, true, "{}"));
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int n = 0; n < 8; n++) {
                String document = "{\"writer\":" + n + "}";
                results.add(executor.submit(() -> {
                    start.await();
                    return workflowStore().update(stored(id, true, document), 1);
                }));
            }
            start.countDown();
            int won = 0;
            for (Future<Boolean> result : results) {
                won += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(won).isEqualTo(1);
        }
        assertThat(workflowStore().find(id).orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void activeWorkflowsAreListedInIdOrderPageByPage() {
        Clock clock = Clock.systemUTC();
        List<WorkflowId> active = new ArrayList<>();
        for (int n = 0; n < 5; n++) {
            WorkflowId id = WorkflowId.next(clock);
            workflowStore().create(stored(id, true, "{}"));
            active.add(id);
            workflowStore().create(stored(WorkflowId.next(clock), false, "{}"));
        }
        WorkflowId finishing = active.remove(2);
        assertThat(workflowStore().update(stored(finishing, false, "{\"done\":true}"), 1)).isTrue();
        List<WorkflowId> listed = new ArrayList<>();
        WorkflowId after = null;
        while (true) {
            List<WorkflowId> page = workflowStore().active(after, 2);
            listed.addAll(page);
            if (page.size() < 2) {
                break;
            }
            after = page.getLast();
        }
        assertThat(listed).isSorted();
        assertThat(listed).containsAll(active).doesNotContain(finishing);
        assertThat(workflowStore().active(active.getLast(), 10)).doesNotContainAnyElementsOf(active);
    }

    // --- workflows run by orchestrators ---

    /** One node: a queue with workflows and an orchestrator told about outcomes. */
    private record Node(DefaultJobQueue queue, JobOrchestrator workers) {
    }

    private Node node(String owner, List<JobHandler<?>> handlers, boolean advanceOnOutcome) {
        JobHandlerRegistry registry = new JobHandlerRegistry(handlers, this.codec, RetryPolicy.noRetries(),
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobStore(), null, workflowStore(), registry, this.codec,
                Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
        WorkflowAdvancer advancer = Objects.requireNonNull(queue.workflows());
        JobOrchestrator workers = JobOrchestrator.builder(jobStore(), leaseStore(), registry, this.codec)
            .owner(owner + "-" + this.run)
            .workers(4)
            .pollInterval(Duration.ofMillis(50))
            .shutdownTimeout(Duration.ofSeconds(10))
            .outcomeListener(advanceOnOutcome ? advancer : JobOutcomeListener.NONE)
            .build();
        queue.subscribe(workers);
        this.closeables.add(workers);
        workers.start();
        return new Node(queue, workers);
    }

    /** Records the order steps start and end in. */
    private static final class Trace {

        private final AtomicInteger clock = new AtomicInteger();

        private final Map<String, Integer> started = new ConcurrentHashMap<>();

        private final Map<String, Integer> ended = new ConcurrentHashMap<>();

        private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        JobHandler<Work> handler(String type, Set<String> failing) {
            return JobHandler.of(type, Work.class, (work, context) -> {
                this.runs.computeIfAbsent(work.step(), (step) -> new AtomicInteger()).incrementAndGet();
                this.started.put(work.step(), this.clock.incrementAndGet());
                try {
                    if (failing.contains(work.step())) {
                        throw new NonRetryableJobException("step " + work.step() + " fails");
                    }
                }
                finally {
                    this.ended.put(work.step(), this.clock.incrementAndGet());
                }
            });
        }

        int runs(String step) {
            AtomicInteger count = this.runs.get(step);
            return (count != null) ? count.get() : 0;
        }
    }

    private Workflow awaitFinal(DefaultJobQueue queue, WorkflowId id) {
        return await("workflow " + id).atMost(WAIT)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> queue.findWorkflow(id).orElseThrow(), (workflow) -> workflow.status().isFinal()
                    && workflow.steps().stream().allMatch((step) -> step.status().isFinal()));
    }

    @Test
    @Timeout(120)
    void fanOutAndFanInRunEachStepOnceAfterItsDependencies() {
        String type = type("fan");
        Trace trace = new Trace();
        Node node = node("fan", List.of(trace.handler(type, Set.of())), true);
        JobWorkflow workflow = JobWorkflow.builder("fan-" + this.run)
            .step("split", type, new Work("split"))
            .step("a", type, new Work("a")).after("split")
            .step("b", type, new Work("b")).after("split")
            .step("c", type, new Work("c")).after("split")
            .step("join", type, new Work("join")).after("a", "b", "c")
            .step("last", type, new Work("last")).after("join")
            .build();
        WorkflowId id = node.queue().enqueue(workflow);
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.status()).isEqualTo(WorkflowStatus.SUCCEEDED);
        assertThat(done.name()).isEqualTo("fan-" + this.run);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status() + "/" + step.jobStatus())
            .containsExactly("split=SUCCEEDED/SUCCEEDED", "a=SUCCEEDED/SUCCEEDED", "b=SUCCEEDED/SUCCEEDED",
                    "c=SUCCEEDED/SUCCEEDED", "join=SUCCEEDED/SUCCEEDED", "last=SUCCEEDED/SUCCEEDED");
        for (String step : List.of("split", "a", "b", "c", "join", "last")) {
            assertThat(trace.runs(step)).as("runs of " + step).isEqualTo(1);
        }
        for (String step : List.of("a", "b", "c")) {
            assertThat(trace.started.get(step)).as(step + " starts after split ended")
                .isGreaterThan(trace.ended.get("split"));
            assertThat(trace.started.get("join")).as("join starts after " + step + " ended")
                .isGreaterThan(trace.ended.get(step));
        }
        assertThat(trace.started.get("last")).isGreaterThan(trace.ended.get("join"));
        assertThat(jobStore().list(JobQuery.all().type(type).limit(100)).jobs()).hasSize(6)
            .allSatisfy((job) -> assertThat(job.idempotencyKey()).startsWith("quark-workflow:" + id + "/"));
        await("the record of " + id + " ended").atMost(Duration.ofSeconds(30))
            .until(() -> !workflowStore().find(id).orElseThrow().active());
        assertThat(workflowStore().active(null, 1000)).doesNotContain(id);
    }

    @Test
    @Timeout(120)
    void aFailedStepFailsItsDependentsRunsItsFailureContinuationAndFailsTheWorkflow() {
        String type = type("fail");
        Trace trace = new Trace();
        Node node = node("fail", List.of(trace.handler(type, Set.of("charge"))), true);
        JobWorkflow workflow = JobWorkflow.builder("fail-" + this.run)
            .step("reserve", type, new Work("reserve"))
            .step("charge", type, new Work("charge")).after("reserve")
            .step("ship", type, new Work("ship")).after("charge")
            .step("notify", type, new Work("notify")).after("ship")
            .step("release", type, new Work("release")).afterFailureOf("charge")
            .step("audit", type, new Work("audit")).afterCompletionOf("charge")
            .step("thanks", type, new Work("thanks")).afterFailureOf("reserve")
            .step("other", type, new Work("other"))
            .build();
        WorkflowId id = node.queue().enqueue(workflow);
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("reserve=SUCCEEDED", "charge=FAILED", "ship=FAILED", "notify=FAILED", "release=SUCCEEDED",
                    "audit=SUCCEEDED", "thanks=SKIPPED", "other=SUCCEEDED");
        assertThat(done.step("charge").orElseThrow().jobStatus()).isEqualTo(JobStatus.DEAD_LETTERED);
        assertThat(done.step("ship").orElseThrow().jobStatus()).as("a failed dependent has no job").isNull();
        assertThat(trace.runs("ship") + trace.runs("notify") + trace.runs("thanks")).isZero();
        assertThat(trace.started.get("release")).isGreaterThan(trace.ended.get("charge"));
    }

    @Test
    @Timeout(120)
    void aStepThatSkipsItsDependentsOnFailureLeavesThemSkipped() {
        String type = type("skip");
        Trace trace = new Trace();
        Node node = node("skip", List.of(trace.handler(type, Set.of("optional"))), true);
        JobWorkflow workflow = JobWorkflow.builder("skip-" + this.run)
            .step("optional", type, new Work("optional")).onFailure(FailurePolicy.SKIP_DEPENDENTS)
            .step("enrich", type, new Work("enrich")).after("optional")
            .step("compensate", type, new Work("compensate")).afterFailureOf("enrich")
            .step("cleanup", type, new Work("cleanup")).afterCompletionOf("enrich")
            .build();
        WorkflowId id = node.queue().enqueue(workflow);
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("optional=FAILED", "enrich=SKIPPED", "compensate=SKIPPED", "cleanup=SUCCEEDED");
        assertThat(done.status()).as("a failed step fails the workflow, whatever its policy")
            .isEqualTo(WorkflowStatus.FAILED);
        assertThat(trace.runs("enrich") + trace.runs("compensate")).isZero();
        assertThat(trace.runs("cleanup")).isEqualTo(1);
    }

    @Test
    @Timeout(120)
    void cancellingAWorkflowStopsItsRunningStepAndCancelsThoseThatWait() throws Exception {
        String type = type("cancel");
        CountDownLatch running = new CountDownLatch(1);
        AtomicInteger later = new AtomicInteger();
        JobHandler<Work> handler = JobHandler.of(type, Work.class, (Work work, JobContext context) -> {
            if (!work.step().equals("slow")) {
                later.incrementAndGet();
                return;
            }
            running.countDown();
            await().atMost(WAIT).until(context::isCancellationRequested);
            context.throwIfCancellationRequested();
        });
        Node node = node("cancel", List.of(handler), true);
        JobWorkflow workflow = JobWorkflow.builder("cancel-" + this.run)
            .step("slow", type, new Work("slow"))
            .step("next", type, new Work("next")).after("slow")
            .step("rescue", type, new Work("rescue")).afterFailureOf("slow")
            .build();
        WorkflowId id = node.queue().enqueue(workflow);
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        Workflow before = node.queue().findWorkflow(id).orElseThrow();
        assertThat(before.status()).isEqualTo(WorkflowStatus.RUNNING);
        assertThat(before.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("slow=RUNNING", "next=WAITING", "rescue=WAITING");
        assertThat(node.queue().cancelWorkflow(id)).isTrue();
        assertThat(node.queue().findWorkflow(id).orElseThrow().status()).isEqualTo(WorkflowStatus.CANCELLED);
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.status()).isEqualTo(WorkflowStatus.CANCELLED);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("slow=CANCELLED", "next=CANCELLED", "rescue=CANCELLED");
        assertThat(node.queue().cancelWorkflow(id)).isFalse();
        Objects.requireNonNull(node.queue().workflows()).sweep();
        assertThat(later.get()).isZero();
        assertThat(jobStore().list(JobQuery.all().type(type).limit(100)).jobs())
            .allSatisfy((job) -> assertThat(job.status()).isEqualTo(JobStatus.CANCELLED));
        WorkflowId unknown = WorkflowId.next(Clock.systemUTC());
        assertThatExceptionOfType(WorkflowNotFoundException.class)
            .isThrownBy(() -> node.queue().cancelWorkflow(unknown))
            .withMessageContaining(unknown.toString());
        assertThat(node.queue().findWorkflow(unknown)).isEmpty();
    }

    @Test
    void aStepWhoseTypeHasNoHandlerOrWhosePayloadIsOfAnotherClassIsRejectedAtEnqueueNamingIt() {
        String type = type("known");
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of(type, Work.class, (w, c) -> {
        })), this.codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobStore(), null, workflowStore(), registry, this.codec,
                Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
        String missing = type("missing");
        JobWorkflow unknownType = JobWorkflow.builder("bad-" + this.run)
            .step("first", type, new Work("first"))
            .step("second", missing, new Work("second")).after("first")
            .build();
        assertThatExceptionOfType(InvalidWorkflowException.class).isThrownBy(() -> queue.enqueue(unknownType))
            .withMessageContaining("Step 'second' of workflow 'bad-" + this.run + "'")
            .withMessageContaining("'" + missing + "'")
            .withCauseInstanceOf(UnknownJobTypeException.class);
        JobWorkflow wrongPayload = JobWorkflow.builder("bad-" + this.run).step("first", type, "a string").build();
        assertThatExceptionOfType(InvalidWorkflowException.class).isThrownBy(() -> queue.enqueue(wrongPayload))
            .withMessageContaining("Step 'first'")
            .withMessageContaining("java.lang.String");
        assertThat(jobStore().list(JobQuery.all().type(type).limit(10)).jobs()).isEmpty();
    }

    @Test
    @Timeout(120)
    void aStepWhoseJobIsCancelledOnItsOwnCancelsItsDependents() throws Exception {
        String type = type("race");
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of(type, Work.class, (w, c) -> {
        })), this.codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobStore(), null, workflowStore(), registry, this.codec,
                Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
        JobWorkflow.StepBuilder builder = JobWorkflow.builder("race-" + this.run).step("root", type, new Work("root"));
        for (int n = 0; n < 10; n++) {
            builder = builder.step("leaf-" + n, type, new Work("leaf-" + n)).afterCompletionOf("root");
        }
        WorkflowId id = queue.enqueue(builder.build());
        WorkflowAdvancer advancer = Objects.requireNonNull(queue.workflows());
        Job root = jobStore().list(JobQuery.all().type(type).limit(10)).jobs().getFirst();
        assertThat(jobStore().cancel(root.id(), Instant.now())).isEqualTo(CancelResult.CANCELLED);
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> advances = new ArrayList<>();
            for (int n = 0; n < 8; n++) {
                advances.add(executor.submit(() -> {
                    start.await();
                    advancer.advance(id);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> advance : advances) {
                advance.get(60, TimeUnit.SECONDS);
            }
        }
        Workflow workflow = queue.findWorkflow(id).orElseThrow();
        assertThat(workflow.statusOf("root")).isEqualTo(StepStatus.CANCELLED);
        assertThat(workflow.steps().stream().filter((step) -> step.name().startsWith("leaf-")))
            .as("a cancelled step is not a completion: its dependents are cancelled")
            .allSatisfy((step) -> assertThat(step.status()).isEqualTo(StepStatus.CANCELLED));
        assertThat(jobStore().list(JobQuery.all().type(type).limit(100)).jobs()).hasSize(1);
        assertThat(workflow.status()).isEqualTo(WorkflowStatus.CANCELLED);
    }

    @Test
    void aStepJobCancelledThroughTheQueueEndsItsWorkflowAtOnce() {
        String type = type("direct");
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(JobHandler.of(type, Work.class, (w, c) -> {
        })), this.codec, RetryPolicy.noRetries(), Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobStore(), null, workflowStore(), registry, this.codec,
                Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
        WorkflowId id = queue.enqueue(JobWorkflow.builder("direct-" + this.run)
            .step("first", type, new Work("first"))
            .step("then", type, new Work("then")).after("first")
            .build());
        Workflow before = queue.findWorkflow(id).orElseThrow();
        assertThat(before.steps()).extracting((step) -> step.name() + "=" + step.status() + "/" + step.jobStatus())
            .containsExactly("first=RUNNING/ENQUEUED", "then=WAITING/null");
        queue.cancel(before.step("first").orElseThrow().jobId());
        Workflow after = queue.findWorkflow(id).orElseThrow();
        assertThat(after.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("first=CANCELLED", "then=CANCELLED");
        assertThat(after.status()).isEqualTo(WorkflowStatus.CANCELLED);
        assertThat(workflowStore().find(id).orElseThrow().active()).isFalse();
    }

    @Test
    @Timeout(120)
    void concurrentAdvancesEnqueueEachReleasedStepOnce() throws Exception {
        String type = type("once");
        JobHandler<Work> handler = JobHandler.of(type, Work.class, (w, c) -> {
        });
        JobHandlerRegistry registry = new JobHandlerRegistry(List.of(handler), this.codec, RetryPolicy.noRetries(),
                Duration.ofMinutes(1));
        DefaultJobQueue queue = new DefaultJobQueue(jobStore(), null, workflowStore(), registry, this.codec,
                Clock.systemUTC(), JobMetrics.NONE, JobFilters.NONE);
        JobWorkflow.StepBuilder builder = JobWorkflow.builder("once-" + this.run).step("root", type, new Work("root"));
        for (int n = 0; n < 10; n++) {
            builder = builder.step("leaf-" + n, type, new Work("leaf-" + n)).after("root");
        }
        WorkflowId id = queue.enqueue(builder.build());
        WorkflowAdvancer advancer = Objects.requireNonNull(queue.workflows());
        assertThat(jobStore().list(JobQuery.all().type(type).limit(100)).jobs()).hasSize(1);
        // the root succeeds without an orchestrator: a worker that recorded it and stopped before advancing
        Node other = node("once", List.of(handler), false);
        await().atMost(WAIT).until(() -> queue.findWorkflow(id).orElseThrow().statusOf("root") == StepStatus.SUCCEEDED);
        other.workers().close();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> advances = new ArrayList<>();
            for (int n = 0; n < 8; n++) {
                advances.add(executor.submit(() -> {
                    start.await();
                    advancer.advance(id);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> advance : advances) {
                advance.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(jobStore().list(JobQuery.all().type(type).limit(100)).jobs()).hasSize(11);
        Workflow workflow = queue.findWorkflow(id).orElseThrow();
        assertThat(workflow.steps().stream().filter((step) -> step.name().startsWith("leaf-")))
            .allSatisfy((step) -> assertThat(step.status()).isEqualTo(StepStatus.RUNNING));
    }

    @Test
    @Timeout(120)
    void aNodeThatStopsBeforeReleasingAFinishedStepsDependentsLeavesThemToAnotherNodesSweep() {
        String type = type("crash");
        Trace trace = new Trace();
        JobHandler<Work> handler = trace.handler(type, Set.of());
        Node first = node("first", List.of(handler), false);
        JobWorkflow workflow = JobWorkflow.builder("crash-" + this.run)
            .step("a", type, new Work("a"))
            .step("b", type, new Work("b")).after("a")
            .step("c", type, new Work("c")).after("b")
            .build();
        WorkflowId id = first.queue().enqueue(workflow);
        await().atMost(WAIT).until(() -> trace.runs("a") == 1 && trace.ended.containsKey("a"));
        await().atMost(WAIT).until(() -> first.queue().findWorkflow(id).orElseThrow().statusOf("a") == StepStatus.SUCCEEDED);
        first.workers().close();
        assertThat(first.queue().findWorkflow(id).orElseThrow().statusOf("b")).isEqualTo(StepStatus.WAITING);
        Node second = node("second", List.of(handler), true);
        WorkflowSweeper sweeper = new WorkflowSweeper(Objects.requireNonNull(second.queue().workflows()),
                Duration.ofMillis(100), Clock.systemUTC(), null);
        this.closeables.add(sweeper);
        sweeper.start();
        Workflow done = awaitFinal(second.queue(), id);
        assertThat(done.status()).isEqualTo(WorkflowStatus.SUCCEEDED);
        assertThat(List.of(trace.runs("a"), trace.runs("b"), trace.runs("c"))).containsExactly(1, 1, 1);
        assertThat(trace.started.get("c")).isGreaterThan(trace.ended.get("b"));
    }

    @Test
    @Timeout(120)
    void aStepWhoseJobIsPurgedBeforeTheWorkflowRecordsItIsFailedAndNotRunAgain() {
        String type = type("purge");
        Trace trace = new Trace();
        Node node = node("purge", List.of(trace.handler(type, Set.of("first"))), false);
        WorkflowId id = node.queue().enqueue(JobWorkflow.builder("purge-" + this.run)
            .step("first", type, new Work("first"))
            .step("then", type, new Work("then")).after("first")
            .step("rescue", type, new Work("rescue")).afterFailureOf("first")
            .build());
        JobId first = node.queue().findWorkflow(id).orElseThrow().step("first").orElseThrow().jobId();
        await().atMost(WAIT)
            .until(() -> jobStore().find(first).map(Job::status).orElse(null) == JobStatus.DEAD_LETTERED);
        // an operator purges the dead letters before any node recorded the step's outcome
        assertThat(jobStore().purge(Set.of(JobStatus.DEAD_LETTERED), Instant.now().plusSeconds(60))).isPositive();
        WorkflowAdvancer advancer = Objects.requireNonNull(node.queue().workflows());
        advancer.advance(id);
        assertThat(jobStore().find(first)).as("the purged step's job is not stored again").isEmpty();
        await().atMost(WAIT).until(() -> trace.runs("rescue") == 1);
        advancer.advance(id);
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("first=FAILED", "then=FAILED", "rescue=SUCCEEDED");
        assertThat(done.status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(List.of(trace.runs("first"), trace.runs("then"), trace.runs("rescue"))).containsExactly(1, 0, 1);
    }

    @Test
    @Timeout(120)
    void aFailureContinuationDoesNotRunForAStepThatFailedWithoutRunning() {
        String type = type("comp");
        Trace trace = new Trace();
        Node node = node("comp", List.of(trace.handler(type, Set.of("reserve"))), true);
        WorkflowId id = node.queue().enqueue(JobWorkflow.builder("comp-" + this.run)
            .step("reserve", type, new Work("reserve"))
            .step("charge", type, new Work("charge")).after("reserve")
            .step("release-stock", type, new Work("release-stock")).afterFailureOf("charge")
            .step("refund", type, new Work("refund")).afterFailureOf("release-stock")
            .step("undo-reserve", type, new Work("undo-reserve")).afterFailureOf("reserve")
            .step("audit", type, new Work("audit")).afterCompletionOf("charge")
            .build());
        Workflow done = awaitFinal(node.queue(), id);
        assertThat(done.steps()).extracting((step) -> step.name() + "=" + step.status())
            .containsExactly("reserve=FAILED", "charge=FAILED", "release-stock=SKIPPED", "refund=SKIPPED",
                    "undo-reserve=SUCCEEDED", "audit=SUCCEEDED");
        assertThat(done.status()).isEqualTo(WorkflowStatus.FAILED);
        assertThat(trace.runs("charge") + trace.runs("release-stock") + trace.runs("refund")).isZero();
        assertThat(trace.runs("undo-reserve")).isEqualTo(1);
    }

    @Test
    @Timeout(120)
    void aWorkflowWhoseStepsEndedBeforeItRecordedThemShowsTheirAggregateAndIsNotCancelled() {
        String type = type("ended");
        Trace trace = new Trace();
        Node node = node("ended", List.of(trace.handler(type, Set.of())), false);
        WorkflowId id = node.queue().enqueue(JobWorkflow.builder("ended-" + this.run)
            .step("only", type, new Work("only"))
            .build());
        await().atMost(WAIT)
            .until(() -> node.queue().findWorkflow(id).orElseThrow().statusOf("only") == StepStatus.SUCCEEDED);
        assertThat(workflowStore().find(id).orElseThrow().status()).as("not recorded yet")
            .isEqualTo(WorkflowStatus.RUNNING);
        assertThat(node.queue().findWorkflow(id).orElseThrow().status()).as("the aggregate of the statuses shown")
            .isEqualTo(WorkflowStatus.SUCCEEDED);
        assertThat(node.queue().cancelWorkflow(id)).as("nothing is left to cancel").isFalse();
        assertThat(node.queue().findWorkflow(id).orElseThrow().status()).isEqualTo(WorkflowStatus.SUCCEEDED);
        assertThat(workflowStore().find(id).orElseThrow().status()).isEqualTo(WorkflowStatus.SUCCEEDED);
        assertThat(workflowStore().find(id).orElseThrow().active()).isFalse();
        assertThat(trace.runs("only")).isEqualTo(1);
    }
}
