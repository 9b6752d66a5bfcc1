package dev.quark.jobs.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job's metadata as the Redis and PostgreSQL stores keep it: one JSON object of strings, written and read through
 * the tree model of a plain mapper of its own (the application's mapper settings do not apply); no metadata is kept
 * as nothing ({@code null}), so jobs stored before metadata existed read as empty.
 */
public final class StoredMetadata {

    private static final JsonMapper mapper = JsonMapper.builder().build();

    private StoredMetadata() {
    }

    /**
     * Writes metadata.
     * @param metadata the metadata
     * @return a JSON object, or {@code null} when the metadata is empty
     */
    public static @Nullable String write(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return null;
        }
        ObjectNode node = mapper.createObjectNode();
        metadata.forEach(node::put);
        return mapper.writeValueAsString(node);
    }

    /**
     * Reads metadata written by {@link #write}.
     * @param json the JSON object, or {@code null} or empty for none
     * @return the metadata
     * @throws IllegalStateException naming the problem when the text is not a JSON object of strings
     */
    public static Map<String, String> read(@Nullable String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        JsonNode node = mapper.readTree(json);
        if (!node.isObject()) {
            throw new IllegalStateException("Stored job metadata must be a JSON object, was " + abbreviate(json));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            JsonNode value = entry.getValue();
            if (!value.isString()) {
                throw new IllegalStateException("Stored job metadata holds a " + value.getNodeType() + " at '"
                        + entry.getKey() + "', not a string");
            }
            metadata.put(entry.getKey(), Objects.requireNonNull(value.asString()));
        }
        return metadata;
    }

    private static String abbreviate(String text) {
        return (text.length() <= 60) ? text : text.substring(0, 60) + "...";
    }
}
