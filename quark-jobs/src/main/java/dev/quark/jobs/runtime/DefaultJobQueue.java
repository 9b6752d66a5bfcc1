package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.InvalidWorkflowException;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.JobQueue;
import dev.quark.jobs.JobRequest;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.JobVetoedException;
import dev.quark.jobs.JobWorkflow;
import dev.quark.jobs.RecurringJob;
import dev.quark.jobs.RecurringJobRequest;
import dev.quark.jobs.Workflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStep;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.jobs.store.StoreChecks;
import dev.quark.jobs.store.WorkflowStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link JobQueue} over a {@link JobStore}: checks each request against the registered handlers, writes its
 * payload with the application's mapper, stores it, and tells the local orchestrator ({@link JobEvents}) once the
 * job is visible to workers.
 */
public final class DefaultJobQueue implements JobQueue {

    private static final Logger logger = LoggerFactory.getLogger(DefaultJobQueue.class);

    private final JobStore store;

    private final JobHandlerRegistry handlers;

    private final JobPayloadCodec codec;

    private final Clock clock;

    private final JobMetrics metrics;

    private final @Nullable RecurringJobStore recurring;

    private final JobFilters filters;

    private final List<JobEvents> subscribers = new CopyOnWriteArrayList<>();

    private final @Nullable WorkflowAdvancer workflows;

    /**
     * Creates a queue without recurring jobs: {@link #scheduleRecurring} and the other recurring calls fail.
     * @param store where jobs are kept
     * @param handlers the registered handlers, which decide the types that can be enqueued
     * @param codec writes payloads
     * @param clock the application's clock
     * @param metrics records enqueued jobs
     */
    public DefaultJobQueue(JobStore store, JobHandlerRegistry handlers, JobPayloadCodec codec, Clock clock,
            JobMetrics metrics) {
        this(store, null, handlers, codec, clock, metrics, JobFilters.NONE);
    }

    /**
     * Creates a queue.
     * @param store where jobs are kept
     * @param recurring where recurring jobs are kept, on the same backend; {@code null} for none
     * @param handlers the registered handlers, which decide the types that can be enqueued
     * @param codec writes payloads
     * @param clock the application's clock
     * @param metrics records enqueued jobs
     * @param filters told about each job enqueued
     */
    public DefaultJobQueue(JobStore store, @Nullable RecurringJobStore recurring, JobHandlerRegistry handlers,
            JobPayloadCodec codec, Clock clock, JobMetrics metrics, JobFilters filters) {
        this(store, recurring, null, handlers, codec, clock, metrics, filters);
    }

    /**
     * Creates a queue.
     * @param store where jobs are kept
     * @param recurring where recurring jobs are kept, on the same backend; {@code null} for none
     * @param workflows where workflows are kept, on the same backend; {@code null} for none
     * @param handlers the registered handlers, which decide the types that can be enqueued
     * @param codec writes payloads
     * @param clock the application's clock
     * @param metrics records enqueued jobs
     * @param filters told about each job enqueued
     */
    public DefaultJobQueue(JobStore store, @Nullable RecurringJobStore recurring, @Nullable WorkflowStore workflows,
            JobHandlerRegistry handlers, JobPayloadCodec codec, Clock clock, JobMetrics metrics, JobFilters filters) {
        this.recurring = recurring;
        this.filters = Objects.requireNonNull(filters, "filters must not be null");
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.handlers = Objects.requireNonNull(handlers, "handlers must not be null");
        this.codec = Objects.requireNonNull(codec, "codec must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
        this.workflows = (workflows != null) ? new WorkflowAdvancer(workflows, store, clock, new StepEvents()) : null;
    }

    /**
     * Returns what moves this queue's workflows on: the orchestrator tells it each step's outcome
     * ({@link JobOrchestrator.Builder#outcomeListener}), a {@link WorkflowSweeper} sweeps with it.
     * @return the advancer, or {@code null} when the queue keeps no workflows
     */
    public @Nullable WorkflowAdvancer workflows() {
        return this.workflows;
    }

    /**
     * Tells a subscriber, from now on, about jobs enqueued and cancellations requested through this queue.
     * @param events the subscriber, usually the local orchestrator
     */
    public void subscribe(JobEvents events) {
        this.subscribers.add(Objects.requireNonNull(events, "events must not be null"));
    }

    /**
     * Stops telling a subscriber.
     * @param events the subscriber
     */
    public void unsubscribe(JobEvents events) {
        this.subscribers.remove(events);
    }

    @Override
    public <P> JobId enqueue(Class<? extends JobHandler<P>> handler, P payload) {
        Objects.requireNonNull(handler, "handler must not be null");
        return enqueue(JobRequest.of(this.handlers.typeOf(handler), payload));
    }

    @Override
    public JobId enqueue(JobRequest request) {
        Objects.requireNonNull(request, "request must not be null");
        Class<?> payloadClass = requirePayload(request.type(), request.payload());
        Instant now = this.clock.instant();
        EnqueueDraft draft = EnqueueDraft.ofJob(request.type(), payloadClass, request.payload(), now,
                request.dueAt(now), request.idempotencyKey(), request.timeout());
        this.filters.beforeEnqueue(draft);
        String payload = writePayload(request.type(), draft.payload());
        return store(new NewJob(JobId.next(this.clock), request.type(), payload, request.idempotencyKey(), now,
                draft.dueAt(), draft.metadata(), draft.timeout()));
    }

    @Override
    public WorkflowId enqueue(JobWorkflow workflow) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        WorkflowAdvancer advancer = workflowAdvancer();
        List<WorkflowDocument.Step> steps = new ArrayList<>();
        List<EnqueueDraft> drafts = new ArrayList<>();
        Instant now = this.clock.instant();
        for (WorkflowStep step : workflow.steps()) {
            try {
                Class<?> payloadClass = requirePayload(step.type(), step.payload());
                drafts.add(EnqueueDraft.ofStep(step.type(), payloadClass, step.payload(), now, workflow.name(),
                        step.name()));
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidWorkflowException("Step '" + step.name() + "' of workflow '" + workflow.name()
                        + "' cannot be enqueued: " + ex.getMessage(), ex);
            }
        }
        for (int i = 0; i < drafts.size(); i++) {
            WorkflowStep step = workflow.steps().get(i);
            EnqueueDraft draft = drafts.get(i);
            this.filters.beforeEnqueue(draft);
            String payload;
            try {
                payload = writePayload(step.type(), draft.payload());
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidWorkflowException("Step '" + step.name() + "' of workflow '" + workflow.name()
                        + "' cannot be enqueued: " + ex.getMessage(), ex);
            }
            steps.add(new WorkflowDocument.Step(step.name(), step.type(), payload, JobId.next(this.clock),
                    step.dependencies(), step.failurePolicy(), draft.metadata()));
        }
        WorkflowId id = WorkflowId.next(this.clock);
        advancer.start(id, new WorkflowDocument(workflow.name(), this.clock.instant(), steps, false));
        return id;
    }

    @Override
    public Optional<Workflow> findWorkflow(WorkflowId id) {
        return workflowAdvancer().find(Objects.requireNonNull(id, "id must not be null"));
    }

    @Override
    public boolean cancelWorkflow(WorkflowId id) {
        return workflowAdvancer().cancel(Objects.requireNonNull(id, "id must not be null"));
    }

    private WorkflowAdvancer workflowAdvancer() {
        if (this.workflows == null) {
            throw new IllegalStateException("This job queue was created without a WorkflowStore: it keeps no "
                    + "workflows");
        }
        return this.workflows;
    }

    /**
     * Enqueues the job of one scheduled instant of a recurring job and moves the recurring job on, in one atomic step
     * of the store ({@link RecurringJobStore#fire}), if the recurring job is still as read: its next instant still
     * {@code instant} and its last occurrence unchanged. Its idempotency key is made of the recurring job's id and the
     * instant ({@link #occurrenceKey}). The job goes through the filters' {@code beforeEnqueue} first, on the
     * calling thread: they may change its payload, metadata and due time, not its idempotency key, so the instant
     * is still enqueued once across nodes (the node whose atomic step is taken stores its filters' version). A
     * replaced payload that cannot be written is logged and the stored one enqueued instead.
     * @param job the recurring job, as read
     * @param instant the scheduled instant, the job's due time unless a filter changes it
     * @param next the recurring job's next instant
     * @return whether it fired: false when another node moved the recurring job on, or it was deleted or redefined
     * @throws JobVetoedException when a filter vetoed the job: nothing was stored and the recurring job did not move
     */
    boolean fireOccurrence(RecurringJob job, Instant instant, Instant next) {
        RegisteredJobHandler handler = this.handlers.require(job.type());
        Instant now = this.clock.instant();
        String key = occurrenceKey(job.id(), instant);
        NewJob newJob;
        if (this.filters.filters().isEmpty()) {
            newJob = new NewJob(JobId.next(this.clock), job.type(), job.payload(), key, now, instant);
        }
        else {
            EnqueueDraft draft = EnqueueDraft.ofOccurrence(job.type(), handler.payloadType().getRawClass(),
                    () -> this.codec.readDeclared(job.type(), handler.payloadType(), job.payload()), now, instant, key,
                    job.id());
            this.filters.beforeEnqueue(draft);
            String payload = draft.payloadReplaced() ? occurrencePayload(job, draft) : job.payload();
            newJob = new NewJob(JobId.next(this.clock), job.type(), payload, key, now, draft.dueAt(),
                    draft.metadata());
        }
        Optional<Enqueued> fired = recurring().fire(job.id(), instant, job.lastJobId(), next, newJob);
        fired.ifPresent((enqueued) -> stored(newJob, enqueued));
        return fired.isPresent();
    }

    /**
     * Writes the payload a filter gave the job of a recurring job's instant, or, when it cannot be written, returns the
     * stored one: failing the enqueue would fail it again every round, and the recurring job would never move on.
     */
    private String occurrencePayload(RecurringJob job, EnqueueDraft draft) {
        Object replaced = draft.payload();
        try {
            return writePayload(job.type(), replaced);
        }
        catch (Throwable ex) {
            if (ex instanceof VirtualMachineError error) {
                throw error;
            }
            logger.warn("Could not write the payload ({}) job filter {} gave {}; it is stored with its payload as it "
                    + "was", replaced.getClass().getName(), draft.payloadReplacedBy(), draft.describe(), ex);
            return job.payload();
        }
    }

    /**
     * Returns the idempotency key of the job of one scheduled instant of a recurring job.
     * @param recurringJobId the recurring job's id
     * @param instant the instant
     * @return {@code quark-recurring:<id>@<instant>}
     */
    public static String occurrenceKey(String recurringJobId, Instant instant) {
        return "quark-recurring:" + recurringJobId + "@" + instant;
    }

    private String writePayload(String type, Object payload) {
        requirePayload(type, payload);
        return this.codec.write(type, payload);
    }

    /**
     * Checks that a type has a handler and a payload is of its payload type.
     * @return the handler's payload class
     */
    private Class<?> requirePayload(String type, Object payload) {
        RegisteredJobHandler handler = this.handlers.require(type);
        Class<?> payloadClass = handler.payloadType().getRawClass();
        if (!payloadClass.isInstance(payload)) {
            throw new IllegalArgumentException("The payload of a '" + type + "' job must be a "
                    + handler.payloadType().toCanonical() + " (the payload type of its handler), was a "
                    + payload.getClass().getName());
        }
        return payloadClass;
    }

    private JobId store(NewJob newJob) {
        return stored(newJob, this.store.enqueue(newJob));
    }

    private JobId stored(NewJob newJob, Enqueued enqueued) {
        Job job = enqueued.job();
        if (!enqueued.created()) {
            if (!job.type().equals(newJob.type())) {
                throw new IllegalStateException("The idempotency key '" + newJob.idempotencyKey() + "' belongs to job "
                        + job.id() + " of type '" + job.type() + "', not to a '" + newJob.type() + "' job");
            }
            return job.id();
        }
        this.metrics.enqueued(job.type());
        this.filters.each("onEnqueued", job, (filter) -> filter.onEnqueued(job));
        this.store.afterCommit(() -> tell((events) -> events.enqueued(job)));
        return job.id();
    }

    @Override
    public RecurringJob scheduleRecurring(RecurringJobRequest request) {
        return save(request, RecurringJob.Origin.DYNAMIC);
    }

    /**
     * Makes the recurring jobs declared in code the ones stored: creates or updates each declared one (as
     * {@link RecurringJob.Origin#DECLARED}), then deletes the stored ones declared before but no longer. Recurring
     * jobs created at run time ({@link #scheduleRecurring}) stay, unless a declaration takes their id over. Every
     * declaration is checked before any is stored.
     * @param declared the recurring jobs declared in code
     * @return the ids of the recurring jobs deleted
     * @throws IllegalArgumentException naming the id when two declarations have one id, or a declaration is refused
     * as {@link #scheduleRecurring} refuses it
     */
    public List<String> synchronizeDeclared(Collection<RecurringJobRequest> declared) {
        Objects.requireNonNull(declared, "declared must not be null");
        RecurringJobStore recurringJobs = recurring();
        Map<String, RecurringJob> jobs = new LinkedHashMap<>();
        Instant now = this.clock.instant();
        for (RecurringJobRequest request : declared) {
            RecurringJob job = recurringJob(request, RecurringJob.Origin.DECLARED, now);
            if (jobs.putIfAbsent(request.id(), job) != null) {
                throw new IllegalArgumentException("Two recurring jobs are declared with the id '" + request.id() + "'");
            }
        }
        jobs.values().forEach(recurringJobs::save);
        List<String> deleted = new ArrayList<>();
        for (RecurringJob stored : recurringJobs.list()) {
            if (stored.origin() == RecurringJob.Origin.DECLARED && !jobs.containsKey(stored.id())
                    && recurringJobs.deleteDeclared(stored.id())) {
                deleted.add(stored.id());
            }
        }
        return deleted;
    }

    private RecurringJob save(RecurringJobRequest request, RecurringJob.Origin origin) {
        Objects.requireNonNull(request, "request must not be null");
        RecurringJobStore recurringJobs = recurring();
        return recurringJobs.save(recurringJob(request, origin, this.clock.instant()));
    }

    private RecurringJob recurringJob(RecurringJobRequest request, RecurringJob.Origin origin, Instant now) {
        String payload = writePayload(request.type(), request.payload());
        return new RecurringJob(request.id(), request.type(), payload, request.schedule(), request.misfirePolicy(),
                request.overlapPolicy(), origin, request.schedule().nextAfter(now), null);
    }

    @Override
    public boolean deleteRecurring(String id) {
        return recurring().delete(RecurringJobRequest.requireId(id));
    }

    @Override
    public Optional<RecurringJob> findRecurring(String id) {
        return recurring().find(Objects.requireNonNull(id, "id must not be null"));
    }

    @Override
    public List<RecurringJob> listRecurring() {
        return recurring().list();
    }

    private RecurringJobStore recurring() {
        if (this.recurring == null) {
            throw new IllegalStateException("This job queue was created without a RecurringJobStore: it keeps no "
                    + "recurring jobs");
        }
        return this.recurring;
    }

    @Override
    public Optional<Job> find(JobId id) {
        return this.store.find(Objects.requireNonNull(id, "id must not be null"));
    }

    @Override
    public JobPage list(JobQuery query) {
        return this.store.list(Objects.requireNonNull(query, "query must not be null"));
    }

    @Override
    public Map<JobStatus, Long> counts() {
        return this.store.countByStatus();
    }

    @Override
    public CancelResult cancel(JobId id) {
        CancelResult result = this.store.cancel(Objects.requireNonNull(id, "id must not be null"), this.clock.instant());
        if (result == CancelResult.REQUESTED) {
            tell((events) -> events.cancellationRequested(id));
        }
        if (result == CancelResult.CANCELLED && this.workflows != null) {
            this.store.find(id).ifPresent((job) -> this.workflows.finished(job, JobStatus.CANCELLED));
        }
        return result;
    }

    @Override
    public Job requeue(JobId id) {
        Job job = this.store.requeue(Objects.requireNonNull(id, "id must not be null"), this.clock.instant());
        this.store.afterCommit(() -> tell((events) -> events.enqueued(job)));
        return job;
    }

    @Override
    public int purge(Duration olderThan, Set<JobStatus> statuses) {
        Objects.requireNonNull(olderThan, "olderThan must not be null");
        Objects.requireNonNull(statuses, "statuses must not be null");
        if (olderThan.isNegative()) {
            throw new IllegalArgumentException("Jobs to purge finished a while ago, not in the future: olderThan was "
                    + olderThan);
        }
        return this.store.purge(StoreChecks.requireFinished(statuses), this.clock.instant().minus(olderThan));
    }

    private void tell(java.util.function.Consumer<JobEvents> event) {
        for (JobEvents subscriber : this.subscribers) {
            try {
                event.accept(subscriber);
            }
            catch (RuntimeException ex) {
                logger.warn("Job event subscriber {} failed", subscriber, ex);
            }
        }
    }

    /**
     * Counts, filters and tells the local workers about the jobs of workflow steps, like those enqueued here.
     */
    private final class StepEvents implements JobEvents {

        @Override
        public void enqueued(Job job) {
            DefaultJobQueue.this.metrics.enqueued(job.type());
            DefaultJobQueue.this.filters.each("onEnqueued", job, (filter) -> filter.onEnqueued(job));
            tell((events) -> events.enqueued(job));
        }

        @Override
        public void cancellationRequested(JobId id) {
            tell((events) -> events.cancellationRequested(id));
        }
    }

    @Override
    public String toString() {
        return "DefaultJobQueue[" + this.store + ", " + this.handlers.types() + "]";
    }

    /**
     * Returns what records the queue's metrics, for the recurring jobs' scheduler.
     */
    JobMetrics metrics() {
        return this.metrics;
    }

}
