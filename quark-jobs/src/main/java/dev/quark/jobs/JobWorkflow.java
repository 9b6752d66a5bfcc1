package dev.quark.jobs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * A graph of jobs run as one: each step is a job of a registered type with its payload, run once the steps it
 * depends on finished as it needs them to (on success, on failure, on completion). Steps without dependencies start
 * at once; a step that several depend on fans out, a step that depends on several fans in. Built and checked here,
 * enqueued with {@link JobQueue#enqueue(JobWorkflow)}, followed with {@link JobQueue#findWorkflow}.
 * <pre>{@code
 * JobWorkflow order = JobWorkflow.builder("order-42")
 *     .step("reserve", "reserve-stock", new Reserve(42))
 *     .step("charge", "charge-card", new Charge(42)).after("reserve")
 *     .step("invoice", "send-invoice", new Invoice(42)).after("charge")
 *     .step("ship", "ship-order", new Ship(42)).after("charge")
 *     .step("notify", "notify-customer", new Notify(42)).after("invoice", "ship")          // fan-in
 *     .step("release", "release-stock", new Release(42)).afterFailureOf("charge")         // continuation on failure
 *     .build();
 * WorkflowId id = jobs.enqueue(order);
 * }</pre>
 * {@link #build()} rejects, naming the step: no steps, two steps of one name, a dependency on a step that is not in
 * the workflow, a step that depends on itself or a cycle (naming its path), a step name or type that is not allowed.
 * The queue rejects a step whose type has no handler or whose payload is not its handler's payload type.
 * <p>
 * A workflow is immutable; the builder is not thread-safe.
 */
public final class JobWorkflow {

    /** The longest workflow or step name. */
    public static final int MAX_NAME_LENGTH = 100;

    private static final Pattern ALLOWED_NAME = Pattern.compile("[A-Za-z0-9._:-]+");

    private final String name;

    private final List<WorkflowStep> steps;

    private JobWorkflow(String name, List<WorkflowStep> steps) {
        this.name = name;
        this.steps = List.copyOf(steps);
    }

    /**
     * Starts a workflow.
     * @param name its name, shown with its status: letters, digits, {@code . _ : -}, at most 100 characters
     * @return the builder
     * @throws InvalidWorkflowException naming the name when it is not allowed
     */
    public static Builder builder(String name) {
        return new Builder(requireName("workflow", Objects.requireNonNull(name, "name must not be null")));
    }

    /**
     * Returns its name.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    /**
     * Returns its steps.
     * @return the steps, in the order they were declared
     */
    public List<WorkflowStep> steps() {
        return this.steps;
    }

    private static String requireName(String what, String name) {
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || !ALLOWED_NAME.matcher(name).matches()) {
            throw new InvalidWorkflowException("'" + name + "' is not allowed as a " + what + " name: use letters, "
                    + "digits, '.', '_', ':' or '-', at most " + MAX_NAME_LENGTH + " characters", null);
        }
        return name;
    }

    @Override
    public String toString() {
        return "JobWorkflow[" + this.name + ", " + this.steps.stream().map(WorkflowStep::name).toList() + "]";
    }

    /**
     * Builds a {@link JobWorkflow}: {@link #step} adds a step, whose dependencies and failure policy the returned
     * {@link StepBuilder} sets.
     */
    public static final class Builder {

        private final String name;

        private final List<StepBuilder> steps = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Adds a step that runs at once unless given dependencies.
         * @param name its name, unique in the workflow
         * @param type the job type, which names its handler
         * @param payload the job's payload, an instance of the handler's payload type
         * @return the step, to give it dependencies
         */
        public StepBuilder step(String name, String type, Object payload) {
            StepBuilder step = new StepBuilder(this, Objects.requireNonNull(name, "name must not be null"),
                    Objects.requireNonNull(type, "type must not be null"),
                    Objects.requireNonNull(payload, "payload must not be null"));
            this.steps.add(step);
            return step;
        }

        /**
         * Checks the graph and builds the workflow.
         * @return the workflow
         * @throws InvalidWorkflowException naming the step: no steps, a duplicate name, an unknown dependency, a
         * cycle, a name or type that is not allowed
         */
        public JobWorkflow build() {
            if (this.steps.isEmpty()) {
                throw new InvalidWorkflowException("Workflow '" + this.name + "' has no steps: add one with step(name, "
                        + "type, payload)", null);
            }
            Map<String, WorkflowStep> byName = new LinkedHashMap<>();
            for (StepBuilder builder : this.steps) {
                WorkflowStep step = builder.toStep();
                if (byName.putIfAbsent(step.name(), step) != null) {
                    throw new InvalidWorkflowException("Workflow '" + this.name + "' has two steps named '" + step.name()
                            + "'", null);
                }
            }
            for (WorkflowStep step : byName.values()) {
                for (StepDependency dependency : step.dependencies()) {
                    if (!byName.containsKey(dependency.step())) {
                        throw new InvalidWorkflowException("Step '" + step.name() + "' of workflow '" + this.name
                                + "' depends on '" + dependency.step() + "', which is not a step of it; its steps are "
                                + byName.keySet(), null);
                    }
                }
            }
            List<String> cycle = findCycle(byName);
            if (cycle != null) {
                throw new InvalidWorkflowException("Workflow '" + this.name + "' has a cycle: "
                        + String.join(" -> ", cycle.stream().map((step) -> "'" + step + "'").toList())
                        + " (each step runs after the one before it); a workflow's steps must form a graph without "
                        + "cycles", null);
            }
            return new JobWorkflow(this.name, List.copyOf(byName.values()));
        }

        /**
         * Finds a cycle by depth-first search along "runs after" edges, with a stack of its own (not the thread's), so
         * that chains of any length are checked.
         * @return the cycle's steps in the order they would run, its first repeated last, or {@code null}
         */
        private static @Nullable List<String> findCycle(Map<String, WorkflowStep> steps) {
            Set<String> done = new HashSet<>();
            Map<String, Integer> onPath = new HashMap<>();
            List<String> path = new ArrayList<>();
            Deque<Iterator<StepDependency>> pending = new ArrayDeque<>();
            for (String start : steps.keySet()) {
                if (done.contains(start)) {
                    continue;
                }
                onPath.put(start, 0);
                path.add(start);
                pending.push(Objects.requireNonNull(steps.get(start)).dependencies().iterator());
                while (!pending.isEmpty()) {
                    Iterator<StepDependency> dependencies = pending.peek();
                    if (!dependencies.hasNext()) {
                        pending.pop();
                        String finished = path.removeLast();
                        onPath.remove(finished);
                        done.add(finished);
                        continue;
                    }
                    String next = dependencies.next().step();
                    Integer index = onPath.get(next);
                    if (index != null) {
                        List<String> cycle = new ArrayList<>(path.subList(index, path.size()));
                        cycle.add(next);
                        return cycle.reversed();
                    }
                    if (!done.contains(next)) {
                        onPath.put(next, path.size());
                        path.add(next);
                        pending.push(Objects.requireNonNull(steps.get(next)).dependencies().iterator());
                    }
                }
            }
            return null;
        }
    }

    /**
     * One step being built: its dependencies and failure policy; {@link #step} and {@link #build} go on with the
     * workflow.
     */
    public static final class StepBuilder {

        private final Builder workflow;

        private final String name;

        private final String type;

        private final Object payload;

        private final Map<String, StepCondition> dependencies = new LinkedHashMap<>();

        private final Set<String> repeated = new LinkedHashSet<>();

        private FailurePolicy failurePolicy = FailurePolicy.FAIL_DEPENDENTS;

        private StepBuilder(Builder workflow, String name, String type, Object payload) {
            this.workflow = workflow;
            this.name = name;
            this.type = type;
            this.payload = payload;
        }

        /**
         * Runs this step once all of some steps succeeded.
         * @param steps their names
         * @return this step
         */
        public StepBuilder after(String... steps) {
            return depend(StepCondition.ON_SUCCESS, steps);
        }

        /**
         * Runs this step once all of some steps failed: a continuation on failure, such as a compensation.
         * @param steps their names
         * @return this step
         */
        public StepBuilder afterFailureOf(String... steps) {
            return depend(StepCondition.ON_FAILURE, steps);
        }

        /**
         * Runs this step once all of some steps finished, succeeded, failed or skipped (not cancelled).
         * @param steps their names
         * @return this step
         */
        public StepBuilder afterCompletionOf(String... steps) {
            return depend(StepCondition.ON_COMPLETION, steps);
        }

        /**
         * Sets what this step's failure does to the steps that need its success.
         * @param policy the policy; {@link FailurePolicy#FAIL_DEPENDENTS} unless set
         * @return this step
         */
        public StepBuilder onFailure(FailurePolicy policy) {
            this.failurePolicy = Objects.requireNonNull(policy, "policy must not be null");
            return this;
        }

        /**
         * Adds the next step; see {@link Builder#step}.
         * @param name its name
         * @param type its job type
         * @param payload its payload
         * @return the next step
         */
        public StepBuilder step(String name, String type, Object payload) {
            return this.workflow.step(name, type, payload);
        }

        /**
         * Checks and builds the workflow; see {@link Builder#build}.
         * @return the workflow
         */
        public JobWorkflow build() {
            return this.workflow.build();
        }

        private StepBuilder depend(StepCondition condition, String... steps) {
            Objects.requireNonNull(steps, "steps must not be null");
            for (String step : steps) {
                Objects.requireNonNull(step, "a step name must not be null");
                if (this.dependencies.putIfAbsent(step, condition) != null) {
                    this.repeated.add(step);
                }
            }
            return this;
        }

        private WorkflowStep toStep() {
            String where = "Step '" + this.name + "' of workflow '" + this.workflow.name + "'";
            requireName("step", this.name);
            try {
                JobTypeNames.requireValid(this.type);
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidWorkflowException(where + ": " + ex.getMessage(), ex);
            }
            if (this.dependencies.containsKey(this.name)) {
                throw new InvalidWorkflowException("Workflow '" + this.workflow.name + "' has a cycle: '" + this.name
                        + "' -> '" + this.name + "' (step '" + this.name + "' depends on itself)", null);
            }
            if (!this.repeated.isEmpty()) {
                throw new InvalidWorkflowException(where + " depends on " + this.repeated.stream()
                    .map((step) -> "'" + step + "'").toList() + " more than once", null);
            }
            List<StepDependency> list = this.dependencies.entrySet()
                .stream()
                .map((entry) -> new StepDependency(entry.getKey(), entry.getValue()))
                .toList();
            return new WorkflowStep(this.name, this.type, this.payload, list, this.failurePolicy);
        }
    }
}
