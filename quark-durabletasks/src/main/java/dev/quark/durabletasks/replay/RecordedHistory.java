package dev.quark.durabletasks.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.store.StoreJson;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An instance's history as recorded, for replaying it later, for instance from a file kept with the tests:
 * <pre>
 * {"instanceId":"order-42","execution":1,"events":[{"type":"OrchestratorStarted",...}, ...]}
 * </pre>
 * Events are in the stores' JSON format ({@link StoreJson}).
 *
 * @param instanceId the instance
 * @param execution its execution
 * @param events the events, in sequence order
 */
public record RecordedHistory(String instanceId, int execution, List<HistoryEvent> events) {

    private static final JsonMapper mapper = JsonMapper.shared();

    /**
     * Validates the history and copies the events.
     */
    public RecordedHistory {
        Objects.requireNonNull(instanceId, "instanceId must not be null");
        events = List.copyOf(events);
    }

    /**
     * Writes the history as JSON.
     * @return the JSON
     */
    public String toJson() {
        ObjectNode node = mapper.createObjectNode();
        node.put("instanceId", this.instanceId);
        node.put("execution", this.execution);
        ArrayNode events = node.putArray("events");
        this.events.forEach((event) -> events.add(mapper.readTree(StoreJson.write(event))));
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }

    /**
     * Reads a history written by {@link #toJson()}.
     * @param json the JSON
     * @return the history
     * @throws IllegalArgumentException when the JSON is not a recorded history
     */
    public static RecordedHistory fromJson(String json) {
        JsonNode node = mapper.readTree(json);
        JsonNode instanceId = node.get("instanceId");
        JsonNode events = node.get("events");
        if (instanceId == null || events == null || !events.isArray()) {
            throw new IllegalArgumentException("A recorded history needs 'instanceId' and an 'events' array");
        }
        List<HistoryEvent> read = new ArrayList<>();
        events.forEach((event) -> read.add(StoreJson.readEvent(mapper.writeValueAsString(event))));
        return new RecordedHistory(instanceId.asString(), node.path("execution").asInt(1), read);
    }
}
