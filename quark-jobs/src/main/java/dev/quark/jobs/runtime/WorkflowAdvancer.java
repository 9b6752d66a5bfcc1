package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.CancelResult;
import dev.quark.jobs.FailurePolicy;
import dev.quark.jobs.Job;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobNotFoundException;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.StepCondition;
import dev.quark.jobs.StepDependency;
import dev.quark.jobs.StepStatus;
import dev.quark.jobs.Workflow;
import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowNotFoundException;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.WorkflowStepState;
import dev.quark.jobs.store.Enqueued;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.NewJob;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves workflows on: records the outcomes of steps whose jobs finished, enqueues the steps whose dependencies now
 * let them run, records as failed, skipped or cancelled those they never will, and the aggregate status.
 * <p>
 * <b>Exactly once in effect, crash-safe.</b> Every step's job id is drawn when the workflow is enqueued and its
 * job carries the idempotency key {@code quark-workflow:<workflow id>/<step>}: releasing a step twice, from two nodes
 * or after a crash, stores one job. An advance reads the workflow, looks at its steps' jobs, enqueues, then writes
 * the workflow by compare-and-set on its version; a node that loses the race reads again. Nothing is lost when a
 * node stops between a step's job finishing and the release of its dependents: an advance runs after every
 * recorded outcome on the worker that recorded it, and {@link #sweep} (every node, every sweep interval) advances
 * every workflow that is still active.
 * <p>
 * <b>Cancellation.</b> A cancelled workflow's steps that have a job are cancelled (a running one is asked to stop);
 * those that have none get one that is stored cancelled, so that a node that releases the step late finds it there
 * and runs nothing.
 */
public final class WorkflowAdvancer implements JobOutcomeListener {

    private static final Logger logger = LoggerFactory.getLogger(WorkflowAdvancer.class);

    private static final String KEY_PREFIX = "quark-workflow:";

    /** How many times an advance reads again after losing a compare-and-set before it leaves the rest to the sweep. */
    private static final int MAX_ROUNDS = 20;

    /** How many active workflows a sweep reads at once. */
    private static final int BATCH = 100;

    /** How far in the future the job that stands for a never-released step of a cancelled workflow is due. */
    private static final Duration NEVER = Duration.ofDays(36_500);

    private final WorkflowStore workflows;

    private final JobStore jobs;

    private final Clock clock;

    private final JobEvents events;

    /**
     * Creates an advancer.
     * @param workflows where workflows are kept
     * @param jobs where their steps' jobs are kept, on the same backend
     * @param clock the application's clock
     * @param events told about each step job enqueued and each cancellation requested, to wake the local workers
     */
    public WorkflowAdvancer(WorkflowStore workflows, JobStore jobs, Clock clock, JobEvents events) {
        this.workflows = Objects.requireNonNull(workflows, "workflows must not be null");
        this.jobs = Objects.requireNonNull(jobs, "jobs must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.events = Objects.requireNonNull(events, "events must not be null");
    }

    /**
     * Returns the idempotency key of a step's job.
     * @param workflow the workflow
     * @param step the step's name
     * @return {@code quark-workflow:<workflow id>/<step>}
     */
    public static String stepKey(WorkflowId workflow, String step) {
        return KEY_PREFIX + workflow + "/" + step;
    }

    /**
     * Returns the workflow a job is a step of.
     * @param idempotencyKey the job's idempotency key
     * @return the workflow's id, or {@code null} when the job is not a step
     */
    public static @Nullable WorkflowId workflowOf(@Nullable String idempotencyKey) {
        if (idempotencyKey == null || !idempotencyKey.startsWith(KEY_PREFIX)) {
            return null;
        }
        int slash = idempotencyKey.indexOf('/', KEY_PREFIX.length());
        if (slash < 0) {
            return null;
        }
        try {
            return WorkflowId.parse(idempotencyKey.substring(KEY_PREFIX.length(), slash));
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    /**
     * Stores a workflow and releases its first steps. When the release fails inside the caller's transaction (which
     * the failure may have aborted, as on PostgreSQL), the failure is thrown, so that the caller rolls back the
     * workflow with the rest of its work; outside one, the workflow stays stored and the next sweep releases them.
     * @param id its id
     * @param document its definition, no step started
     */
    void start(WorkflowId id, WorkflowDocument document) {
        Instant now = this.clock.instant();
        this.workflows.create(new StoredWorkflow(id, document.name(), WorkflowStatus.RUNNING, true, 1, document.write(),
                now, now));
        try {
            advance(id);
        }
        catch (RuntimeException ex) {
            if (this.jobs.inCallerTransaction()) {
                throw ex;
            }
            logger.warn("Workflow {} ('{}') is stored but its first steps could not be released now; the next sweep "
                    + "releases them", id, document.name(), ex);
        }
    }

    /**
     * Reads a workflow with its steps' statuses; a step whose job finished shows its outcome even before the workflow
     * recorded it, and the workflow's status is the aggregate of the statuses shown.
     * @param id the workflow
     * @return the workflow, or empty
     */
    public Optional<Workflow> find(WorkflowId id) {
        Objects.requireNonNull(id, "id must not be null");
        return this.workflows.find(id).map((stored) -> {
            WorkflowDocument document = WorkflowDocument.read(stored.document());
            List<WorkflowStepState> steps = new ArrayList<>();
            List<@Nullable StepStatus> statuses = new ArrayList<>();
            for (WorkflowDocument.Step step : document.steps()) {
                Job job = this.jobs.find(step.jobId).orElse(null);
                StepStatus status = step.outcome;
                if (status == null) {
                    if (job == null) {
                        status = step.released ? StepStatus.FAILED : StepStatus.WAITING;
                    }
                    else {
                        status = Objects.requireNonNullElse(StepStatus.ofFinishedJob(job.status()), StepStatus.RUNNING);
                    }
                }
                statuses.add(status);
                steps.add(new WorkflowStepState(step.name, step.type, step.jobId, status,
                        (job != null) ? job.status() : null, step.dependencies));
            }
            WorkflowStatus status = WorkflowDocument.aggregate(document.cancelled(), statuses);
            return new Workflow(id, stored.name(), status, stored.createdAt(), steps);
        });
    }

    /**
     * Cancels a workflow: its steps without a job will not run, its steps' waiting jobs are cancelled, its running
     * ones are asked to stop. The steps' jobs are looked at first: a workflow whose steps have all ended, though it
     * has not recorded it yet, is not cancelled (its outcome is recorded instead).
     * @param id the workflow
     * @return {@code true} when it was cancelled now; {@code false} when it had finished (recorded or not) or was
     * cancelled before
     * @throws WorkflowNotFoundException naming the id when no workflow has it
     */
    public boolean cancel(WorkflowId id) {
        Objects.requireNonNull(id, "id must not be null");
        for (int round = 0; round < MAX_ROUNDS; round++) {
            StoredWorkflow stored = this.workflows.find(id).orElseThrow(() -> new WorkflowNotFoundException(id));
            if (stored.status().isFinal()) {
                return false;
            }
            WorkflowDocument document = WorkflowDocument.read(stored.document());
            Set<String> released = observe(document);
            resolve(document, released);
            if (!document.active()) {
                this.workflows.update(write(stored, document), stored.version());
                return false;
            }
            document.cancel();
            if (this.workflows.update(write(stored, document), stored.version())) {
                try {
                    advance(id);
                }
                catch (RuntimeException ex) {
                    logger.warn("Workflow {} is cancelled but its steps' jobs could not be cancelled now; the next "
                            + "sweep cancels them", id, ex);
                }
                return true;
            }
        }
        throw new IllegalStateException("Workflow " + id + " changed " + MAX_ROUNDS + " times while it was cancelled; "
                + "try again");
    }

    @Override
    public void finished(Job job, JobStatus status) {
        WorkflowId id = workflowOf(job.idempotencyKey());
        if (id != null) {
            try {
                advance(id);
            }
            catch (RuntimeException ex) {
                logger.warn("Could not advance workflow {} after its step job {} ({}) ended {}; the next sweep will", id,
                        job.id(), job.type(), status, ex);
            }
        }
    }

    /**
     * Advances every workflow that is still active, in id order.
     * @return how many were looked at
     */
    public int sweep() {
        int seen = 0;
        WorkflowId after = null;
        while (true) {
            List<WorkflowId> page = this.workflows.active(after, BATCH);
            for (WorkflowId id : page) {
                try {
                    advance(id);
                }
                catch (RuntimeException ex) {
                    logger.warn("Could not advance workflow {}; the next sweep will try again", id, ex);
                }
            }
            seen += page.size();
            if (page.size() < BATCH) {
                return seen;
            }
            after = page.getLast();
        }
    }

    /**
     * Moves a workflow on as far as its steps' jobs allow, now.
     * @param id the workflow
     */
    public void advance(WorkflowId id) {
        Objects.requireNonNull(id, "id must not be null");
        for (int round = 0; round < MAX_ROUNDS; round++) {
            StoredWorkflow stored = this.workflows.find(id).orElse(null);
            if (stored == null || !stored.active()) {
                return;
            }
            WorkflowDocument document = WorkflowDocument.read(stored.document());
            Set<String> released = observe(document);
            if (document.cancelled()) {
                cancelSteps(id, document, released);
            }
            else {
                for (WorkflowDocument.Step step : resolve(document, released)) {
                    release(id, step);
                    step.released = true;
                }
            }
            StoredWorkflow next = write(stored, document);
            if (next.document().equals(stored.document()) && next.status() == stored.status()
                    || this.workflows.update(next, stored.version())) {
                if (!next.active() && stored.active()) {
                    logger.debug("Workflow {} ('{}') ended {}", id, stored.name(), next.status());
                }
                return;
            }
        }
        logger.debug("Workflow {} changed {} times while it was advanced; the next sweep goes on", id, MAX_ROUNDS);
    }

    /**
     * Records the outcome of every step whose job finished, and as failed every step that was released but whose job
     * is gone (purged before its outcome was recorded): releasing it again would run it twice.
     * @return the steps whose job exists and has not finished
     */
    private Set<String> observe(WorkflowDocument document) {
        Set<String> released = new HashSet<>();
        for (WorkflowDocument.Step step : document.steps()) {
            if (step.outcome != null) {
                continue;
            }
            Job job = this.jobs.find(step.jobId).orElse(null);
            if (job == null) {
                if (step.released) {
                    logger.warn("The job {} of step '{}' of workflow '{}' was deleted before the workflow recorded its "
                            + "outcome; the step is recorded failed and is not run again", step.jobId, step.name,
                            document.name());
                    step.outcome = StepStatus.FAILED;
                }
                continue;
            }
            step.released = true;
            StepStatus outcome = StepStatus.ofFinishedJob(job.status());
            if (outcome != null) {
                step.outcome = outcome;
            }
            else {
                released.add(step.name);
            }
        }
        return released;
    }

    /**
     * Decides the steps whose dependencies all have outcomes: those whose conditions hold are returned to be
     * released (unless their job exists), the others get their outcome, and so on down the graph.
     */
    static List<WorkflowDocument.Step> resolve(WorkflowDocument document, Set<String> released) {
        Set<WorkflowDocument.Step> runnable = new LinkedHashSet<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (WorkflowDocument.Step step : document.steps()) {
                if (step.outcome != null || released.contains(step.name) || runnable.contains(step)) {
                    continue;
                }
                boolean ready = true;
                boolean met = true;
                for (StepDependency dependency : step.dependencies) {
                    WorkflowDocument.Step before = document.step(dependency.step());
                    if (before.outcome == null) {
                        ready = false;
                        break;
                    }
                    met &= isMet(dependency, before);
                }
                if (!ready) {
                    continue;
                }
                if (met) {
                    runnable.add(step);
                }
                else {
                    step.outcome = blocked(document, step);
                    changed = true;
                }
            }
        }
        return List.copyOf(runnable);
    }

    /**
     * Returns whether a dependency that ended lets the dependent run: as {@link StepCondition#isMetBy}, except that a
     * continuation on failure does not run for a dependency that failed without running (it was never released,
     * because one it needed failed): there is nothing to compensate.
     */
    private static boolean isMet(StepDependency dependency, WorkflowDocument.Step before) {
        StepStatus outcome = Objects.requireNonNull(before.outcome);
        if (dependency.condition() == StepCondition.ON_FAILURE && outcome == StepStatus.FAILED && !before.released) {
            return false;
        }
        return dependency.condition().isMetBy(outcome);
    }

    /**
     * Returns the outcome of a step whose dependencies ended so that it cannot run: cancelled when one it waited for
     * was cancelled, failed when one it needed to succeed failed with {@link FailurePolicy#FAIL_DEPENDENTS}, else
     * skipped.
     */
    private static StepStatus blocked(WorkflowDocument document, WorkflowDocument.Step step) {
        StepStatus outcome = StepStatus.SKIPPED;
        for (StepDependency dependency : step.dependencies) {
            WorkflowDocument.Step before = document.step(dependency.step());
            StepStatus ended = Objects.requireNonNull(before.outcome);
            if (isMet(dependency, before)) {
                continue;
            }
            if (ended == StepStatus.CANCELLED) {
                return StepStatus.CANCELLED;
            }
            if (ended == StepStatus.FAILED && dependency.condition() == StepCondition.ON_SUCCESS
                    && before.failurePolicy == FailurePolicy.FAIL_DEPENDENTS) {
                outcome = StepStatus.FAILED;
            }
        }
        return outcome;
    }

    private void release(WorkflowId id, WorkflowDocument.Step step) {
        Instant now = this.clock.instant();
        Enqueued enqueued = this.jobs.enqueue(new NewJob(step.jobId, step.type, step.payload, stepKey(id, step.name), now,
                now, step.metadata));
        if (enqueued.created()) {
            Job job = enqueued.job();
            this.jobs.afterCommit(() -> this.events.enqueued(job));
        }
        else if (!enqueued.job().id().equals(step.jobId)) {
            logger.warn("The idempotency key of step '{}' of workflow {} belongs to job {}, not to the step's job {}",
                    step.name, id, enqueued.job().id(), step.jobId);
        }
    }

    private void cancelSteps(WorkflowId id, WorkflowDocument document, Set<String> released) {
        Instant now = this.clock.instant();
        for (WorkflowDocument.Step step : document.steps()) {
            if (step.outcome != null) {
                continue;
            }
            if (!released.contains(step.name)) {
                this.jobs.enqueue(new NewJob(step.jobId, step.type, step.payload, stepKey(id, step.name), now,
                        now.plus(NEVER), step.metadata));
            }
            try {
                if (this.jobs.cancel(step.jobId, now) == CancelResult.REQUESTED) {
                    JobId jobId = step.jobId;
                    this.jobs.afterCommit(() -> this.events.cancellationRequested(jobId));
                }
            }
            catch (JobNotFoundException ex) {
                logger.debug("Step '{}' of cancelled workflow {} has no job {}", step.name, id, step.jobId);
            }
            this.jobs.find(step.jobId).ifPresent((job) -> step.outcome = StepStatus.ofFinishedJob(job.status()));
        }
    }

    private StoredWorkflow write(StoredWorkflow stored, WorkflowDocument document) {
        return new StoredWorkflow(stored.id(), stored.name(), document.status(), document.active(), stored.version(),
                document.write(), stored.createdAt(), this.clock.instant());
    }

    @Override
    public String toString() {
        return "WorkflowAdvancer[" + this.workflows + ", " + this.jobs + "]";
    }
}
