package dev.quark.jobs.runtime;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.quark.jobs.FailurePolicy;
import dev.quark.jobs.JobId;
import dev.quark.jobs.StepCondition;
import dev.quark.jobs.StepDependency;
import dev.quark.jobs.StepStatus;
import dev.quark.jobs.WorkflowStatus;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stored workflow's definition and state: its steps, each with its job type, payload (JSON), pre-drawn job id,
 * dependencies, failure policy, job metadata (from the enqueue filters) and recorded outcome, and whether it was cancelled. Written as JSON through the
 * tree model of a plain mapper of its own (no reflection, the application's mapper settings do not apply).
 */
final class WorkflowDocument {

    private static final JsonMapper mapper = JsonMapper.builder().build();

    private final String name;

    private final Instant createdAt;

    private final Map<String, Step> steps;

    private boolean cancelled;

    WorkflowDocument(String name, Instant createdAt, List<Step> steps, boolean cancelled) {
        this.name = name;
        this.createdAt = createdAt;
        this.steps = new LinkedHashMap<>();
        steps.forEach((step) -> this.steps.put(step.name, step));
        this.cancelled = cancelled;
    }

    String name() {
        return this.name;
    }

    Instant createdAt() {
        return this.createdAt;
    }

    List<Step> steps() {
        return List.copyOf(this.steps.values());
    }

    Step step(String name) {
        return Objects.requireNonNull(this.steps.get(name), () -> "no step '" + name + "'");
    }

    boolean cancelled() {
        return this.cancelled;
    }

    void cancel() {
        this.cancelled = true;
    }

    /**
     * Returns whether some step has no outcome yet.
     * @return whether the workflow needs advancing
     */
    boolean active() {
        return this.steps.values().stream().anyMatch((step) -> step.outcome == null);
    }

    /**
     * Returns the aggregate of the recorded outcomes.
     * @return {@code CANCELLED} once cancelled; {@code RUNNING} while a step has no outcome; then {@code FAILED}
     * when one failed, {@code CANCELLED} when one was cancelled, else {@code SUCCEEDED}
     */
    WorkflowStatus status() {
        List<@Nullable StepStatus> outcomes = new ArrayList<>();
        this.steps.values().forEach((step) -> outcomes.add(step.outcome));
        return aggregate(this.cancelled, outcomes);
    }

    /**
     * Returns the aggregate of steps' statuses.
     * @param cancelled whether the workflow was cancelled
     * @param statuses its steps' statuses, {@code null} or not final for a step that has not ended
     * @return {@code CANCELLED} once cancelled; {@code RUNNING} while a step has not ended; then {@code FAILED} when
     * one failed, {@code CANCELLED} when one was cancelled, else {@code SUCCEEDED}
     */
    static WorkflowStatus aggregate(boolean cancelled, List<@Nullable StepStatus> statuses) {
        if (cancelled) {
            return WorkflowStatus.CANCELLED;
        }
        if (statuses.stream().anyMatch((status) -> status == null || !status.isFinal())) {
            return WorkflowStatus.RUNNING;
        }
        if (statuses.contains(StepStatus.FAILED)) {
            return WorkflowStatus.FAILED;
        }
        return statuses.contains(StepStatus.CANCELLED) ? WorkflowStatus.CANCELLED : WorkflowStatus.SUCCEEDED;
    }

    String write() {
        ObjectNode root = mapper.createObjectNode();
        root.put("name", this.name);
        root.put("createdAt", this.createdAt.toString());
        root.put("cancelled", this.cancelled);
        ArrayNode steps = root.putArray("steps");
        for (Step step : this.steps.values()) {
            ObjectNode node = steps.addObject();
            node.put("name", step.name);
            node.put("type", step.type);
            node.put("payload", step.payload);
            node.put("job", step.jobId.toString());
            node.put("onFailure", step.failurePolicy.name());
            if (!step.metadata.isEmpty()) {
                ObjectNode metadata = node.putObject("metadata");
                step.metadata.forEach(metadata::put);
            }
            if (step.outcome != null) {
                node.put("outcome", step.outcome.name());
            }
            if (step.released) {
                node.put("released", true);
            }
            ArrayNode after = node.putArray("after");
            for (StepDependency dependency : step.dependencies) {
                after.addObject().put("step", dependency.step()).put("on", dependency.condition().name());
            }
        }
        return mapper.writeValueAsString(root);
    }

    static WorkflowDocument read(String json) {
        JsonNode root = mapper.readTree(json);
        List<Step> steps = new ArrayList<>();
        for (JsonNode node : root.get("steps")) {
            List<StepDependency> dependencies = new ArrayList<>();
            for (JsonNode after : node.get("after")) {
                dependencies.add(new StepDependency(after.get("step").asString(),
                        StepCondition.valueOf(after.get("on").asString())));
            }
            Step step = new Step(node.get("name").asString(), node.get("type").asString(),
                    node.get("payload").asString(), JobId.parse(node.get("job").asString()), dependencies,
                    FailurePolicy.valueOf(node.get("onFailure").asString()), metadata(node.get("metadata")));
            if (node.hasNonNull("outcome")) {
                step.outcome = StepStatus.valueOf(node.get("outcome").asString());
            }
            step.released = node.hasNonNull("released") && node.get("released").asBoolean();
            steps.add(step);
        }
        return new WorkflowDocument(root.get("name").asString(), Instant.parse(root.get("createdAt").asString()), steps,
                root.get("cancelled").asBoolean());
    }

    private static Map<String, String> metadata(@Nullable JsonNode node) {
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            metadata.put(entry.getKey(), entry.getValue().asString());
        }
        return metadata;
    }

    /**
     * One step: its definition, whether its job was released (enqueued to run) and its recorded outcome. A step
     * recorded {@code FAILED} that was never released failed without running, because a dependency it needed failed.
     */
    static final class Step {

        final String name;

        final String type;

        final String payload;

        final JobId jobId;

        final List<StepDependency> dependencies;

        final FailurePolicy failurePolicy;

        /** What the enqueue filters stored for its job when the workflow was enqueued. */
        final Map<String, String> metadata;

        @Nullable StepStatus outcome;

        /** Whether its job was enqueued to run: a released step whose job is missing was lost (purged), not waiting. */
        boolean released;

        Step(String name, String type, String payload, JobId jobId, List<StepDependency> dependencies,
                FailurePolicy failurePolicy, Map<String, String> metadata) {
            this.metadata = Map.copyOf(metadata);
            this.name = name;
            this.type = type;
            this.payload = payload;
            this.jobId = jobId;
            this.dependencies = List.copyOf(dependencies);
            this.failurePolicy = failurePolicy;
        }
    }
}
