package dev.quark.durabletasks.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.ParentClosePolicy;
import dev.quark.durabletasks.RetryOptions;
import dev.quark.durabletasks.history.ContinuedAsNew;
import dev.quark.durabletasks.history.EventRaised;
import dev.quark.durabletasks.history.ExecutionCancelRequested;
import dev.quark.durabletasks.history.ExecutionCompleted;
import dev.quark.durabletasks.history.ExecutionFailed;
import dev.quark.durabletasks.history.ExecutionResumed;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.ExecutionSuspended;
import dev.quark.durabletasks.history.ExecutionTerminated;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.OrchestratorStarted;
import dev.quark.durabletasks.history.ParentInstance;
import dev.quark.durabletasks.history.SubOrchestrationCompleted;
import dev.quark.durabletasks.history.SubOrchestrationCreated;
import dev.quark.durabletasks.history.SubOrchestrationFailed;
import dev.quark.durabletasks.history.TaskCompleted;
import dev.quark.durabletasks.history.TaskFailed;
import dev.quark.durabletasks.history.TaskScheduled;
import dev.quark.durabletasks.history.TimerCreated;
import dev.quark.durabletasks.history.TimerFired;
import dev.quark.durabletasks.history.VersionMarker;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON forms in which stores keep history events, failures and activity options: a fixed, explicit format (no
 * reflection, so that it works in a native image and survives refactoring), for instance
 * <pre>
 * {"type":"TaskScheduled","timestamp":"2026-03-01T12:00:00Z","taskId":1,"name":"charge","input":"\"card\""}
 * </pre>
 * Payloads (inputs, results) are JSON text themselves and are kept as strings. Field names never change; new fields
 * are optional, so that older events stay readable.
 */
public final class StoreJson {

    private static final JsonMapper mapper = JsonMapper.shared();

    private StoreJson() {
    }

    /**
     * Returns the type name of an event, as kept next to it.
     * @param event the event
     * @return for instance {@code TaskScheduled}
     */
    public static String type(HistoryEvent event) {
        return event.getClass().getSimpleName();
    }

    /**
     * Writes an event.
     * @param event the event
     * @return its JSON
     */
    public static String write(HistoryEvent event) {
        ObjectNode node = mapper.createObjectNode();
        node.put("type", type(event));
        node.put("timestamp", event.timestamp().toString());
        switch (event) {
            case OrchestratorStarted started -> {
            }
            case ExecutionStarted started -> {
                node.put("name", started.name());
                putText(node, "input", started.input());
                putParent(node, "parent", started.parent());
                if (started.version() != 0) {
                    node.put("version", started.version());
                }
            }
            case TaskScheduled scheduled -> {
                node.put("taskId", scheduled.taskId());
                node.put("name", scheduled.name());
                putText(node, "input", scheduled.input());
            }
            case TaskCompleted completed -> {
                node.put("taskId", completed.taskId());
                putText(node, "result", completed.result());
            }
            case TaskFailed failed -> {
                node.put("taskId", failed.taskId());
                node.set("failure", failure(failed.failure()));
            }
            case TimerCreated timer -> {
                node.put("taskId", timer.taskId());
                node.put("fireAt", timer.fireAt().toString());
            }
            case TimerFired timer -> {
                node.put("taskId", timer.taskId());
                node.put("fireAt", timer.fireAt().toString());
            }
            case EventRaised raised -> {
                node.put("name", raised.name());
                putText(node, "payload", raised.payload());
            }
            case SubOrchestrationCreated created -> {
                node.put("taskId", created.taskId());
                node.put("name", created.name());
                node.put("instanceId", created.instanceId());
                putText(node, "input", created.input());
                if (created.parentClosePolicy() != null) {
                    node.put("parentClosePolicy", created.parentClosePolicy().name());
                }
            }
            case SubOrchestrationCompleted completed -> {
                node.put("taskId", completed.taskId());
                putText(node, "result", completed.result());
            }
            case SubOrchestrationFailed failed -> {
                node.put("taskId", failed.taskId());
                node.set("failure", failure(failed.failure()));
            }
            case VersionMarker marker -> {
                node.put("changeId", marker.changeId());
                node.put("version", marker.version());
            }
            case ExecutionCompleted completed -> putText(node, "output", completed.output());
            case ExecutionFailed failed -> node.set("failure", failure(failed.failure()));
            case ExecutionTerminated terminated -> {
                putText(node, "reason", terminated.reason());
                putParent(node, "closedBy", terminated.closedBy());
            }
            case ExecutionCancelRequested cancelled -> {
                putText(node, "reason", cancelled.reason());
                putParent(node, "closedBy", cancelled.closedBy());
            }
            case ExecutionSuspended suspended -> putText(node, "reason", suspended.reason());
            case ExecutionResumed resumed -> putText(node, "reason", resumed.reason());
            case ContinuedAsNew continued -> putText(node, "input", continued.input());
        }
        return mapper.writeValueAsString(node);
    }

    /**
     * Reads an event.
     * @param json its JSON
     * @return the event
     * @throws IllegalArgumentException when the JSON is not an event
     */
    public static HistoryEvent readEvent(String json) {
        JsonNode node = mapper.readTree(json);
        Instant timestamp = Instant.parse(required(node, "timestamp").asString());
        String type = required(node, "type").asString();
        return switch (type) {
            case "OrchestratorStarted" -> new OrchestratorStarted(timestamp);
            case "ExecutionStarted" -> new ExecutionStarted(timestamp, string(node, "name"), text(node, "input"),
                    parent(node, "parent"), node.has("version") ? node.get("version").asInt() : 0);
            case "TaskScheduled" -> new TaskScheduled(timestamp, taskId(node), string(node, "name"), text(node, "input"));
            case "TaskCompleted" -> new TaskCompleted(timestamp, taskId(node), text(node, "result"));
            case "TaskFailed" -> new TaskFailed(timestamp, taskId(node), failure(required(node, "failure")));
            case "TimerCreated" -> new TimerCreated(timestamp, taskId(node), instant(node, "fireAt"));
            case "TimerFired" -> new TimerFired(timestamp, taskId(node), instant(node, "fireAt"));
            case "EventRaised" -> new EventRaised(timestamp, string(node, "name"), text(node, "payload"));
            case "SubOrchestrationCreated" -> new SubOrchestrationCreated(timestamp, taskId(node), string(node, "name"),
                    string(node, "instanceId"), text(node, "input"), parentClosePolicy(node));
            case "SubOrchestrationCompleted" -> new SubOrchestrationCompleted(timestamp, taskId(node),
                    text(node, "result"));
            case "SubOrchestrationFailed" -> new SubOrchestrationFailed(timestamp, taskId(node),
                    failure(required(node, "failure")));
            case "VersionMarker" -> new VersionMarker(timestamp, string(node, "changeId"),
                    required(node, "version").asInt());
            case "ExecutionCompleted" -> new ExecutionCompleted(timestamp, text(node, "output"));
            case "ExecutionFailed" -> new ExecutionFailed(timestamp, failure(required(node, "failure")));
            case "ExecutionTerminated" -> new ExecutionTerminated(timestamp, text(node, "reason"), parent(node, "closedBy"));
            case "ExecutionCancelRequested" -> new ExecutionCancelRequested(timestamp, text(node, "reason"),
                    parent(node, "closedBy"));
            case "ExecutionSuspended" -> new ExecutionSuspended(timestamp, text(node, "reason"));
            case "ExecutionResumed" -> new ExecutionResumed(timestamp, text(node, "reason"));
            case "ContinuedAsNew" -> new ContinuedAsNew(timestamp, text(node, "input"));
            default -> throw new IllegalArgumentException("Unknown history event type '" + type + "' in " + json);
        };
    }

    /**
     * Writes a failure.
     * @param failure the failure
     * @return its JSON
     */
    public static String write(FailureDetails failure) {
        return mapper.writeValueAsString(failure(failure));
    }

    /**
     * Reads a failure.
     * @param json its JSON
     * @return the failure
     */
    public static FailureDetails readFailure(String json) {
        return failure(mapper.readTree(json));
    }

    /**
     * Writes activity options.
     * @param options the options
     * @return their JSON
     */
    public static String write(ActivityOptions options) {
        ObjectNode node = mapper.createObjectNode();
        RetryOptions retry = options.retry();
        node.put("maxAttempts", retry.maxAttempts());
        node.put("firstDelayMillis", retry.firstDelay().toMillis());
        node.put("backoffCoefficient", retry.backoffCoefficient());
        node.put("maxDelayMillis", retry.maxDelay().toMillis());
        ArrayNode doNotRetry = node.putArray("doNotRetry");
        retry.doNotRetry().forEach(doNotRetry::add);
        Duration startToClose = options.startToCloseTimeout();
        if (startToClose != null) {
            node.put("startToCloseMillis", startToClose.toMillis());
        }
        Duration scheduleToClose = options.scheduleToCloseTimeout();
        if (scheduleToClose != null) {
            node.put("scheduleToCloseMillis", scheduleToClose.toMillis());
        }
        Duration heartbeat = options.heartbeatTimeout();
        if (heartbeat != null) {
            node.put("heartbeatMillis", heartbeat.toMillis());
        }
        return mapper.writeValueAsString(node);
    }

    /**
     * Reads activity options.
     * @param json their JSON
     * @return the options
     */
    public static ActivityOptions readOptions(String json) {
        JsonNode node = mapper.readTree(json);
        List<String> doNotRetry = new ArrayList<>();
        node.path("doNotRetry").forEach((name) -> doNotRetry.add(name.asString()));
        RetryOptions retry = new RetryOptions(required(node, "maxAttempts").asInt(),
                Duration.ofMillis(required(node, "firstDelayMillis").asLong()),
                required(node, "backoffCoefficient").asDouble(),
                Duration.ofMillis(required(node, "maxDelayMillis").asLong()), doNotRetry);
        return new ActivityOptions(retry, millis(node, "startToCloseMillis"), millis(node, "scheduleToCloseMillis"),
                millis(node, "heartbeatMillis"));
    }

    private static ObjectNode failure(FailureDetails failure) {
        ObjectNode node = mapper.createObjectNode();
        node.put("type", failure.type());
        putText(node, "message", failure.message());
        putText(node, "stackTrace", failure.stackTrace());
        return node;
    }

    private static FailureDetails failure(JsonNode node) {
        return new FailureDetails(string(node, "type"), text(node, "message"), text(node, "stackTrace"));
    }

    private static void putText(ObjectNode node, String field, @Nullable String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static @Nullable String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return (value == null || value.isNull()) ? null : value.asString();
    }

    /** Writes a parent instance as the fields {@code <name>InstanceId}, {@code <name>Execution}, {@code <name>TaskId}. */
    private static void putParent(ObjectNode node, String name, @Nullable ParentInstance parent) {
        if (parent != null) {
            node.put(name + "InstanceId", parent.instanceId());
            node.put(name + "Execution", parent.execution());
            node.put(name + "TaskId", parent.taskId());
        }
    }

    private static @Nullable ParentInstance parent(JsonNode node, String name) {
        return node.has(name + "InstanceId") ? new ParentInstance(string(node, name + "InstanceId"),
                required(node, name + "Execution").asInt(), required(node, name + "TaskId").asInt()) : null;
    }

    private static @Nullable ParentClosePolicy parentClosePolicy(JsonNode node) {
        String name = text(node, "parentClosePolicy");
        if (name == null) {
            return null;
        }
        try {
            return ParentClosePolicy.valueOf(name);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("A stored durable-task record has an unknown parentClosePolicy '" + name
                    + "' (known: " + Arrays.toString(ParentClosePolicy.values()) + "): " + node, ex);
        }
    }

    private static String string(JsonNode node, String field) {
        return required(node, field).asString();
    }

    private static int taskId(JsonNode node) {
        return required(node, "taskId").asInt();
    }

    private static Instant instant(JsonNode node, String field) {
        return Instant.parse(string(node, field));
    }

    private static @Nullable Duration millis(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return (value == null || value.isNull()) ? null : Duration.ofMillis(value.asLong());
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("A stored durable-task record lacks '" + field + "': " + node);
        }
        return value;
    }
}
