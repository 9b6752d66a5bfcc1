package dev.quark.jobs.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job's metadata as the Redis and PostgreSQL stores keep it: one JSON object of strings, written and read through
 * the tree model of a plain mapper of its own (the application's mapper settings do not apply); no metadata is kept
 * as nothing ({@code null}), so jobs stored before metadata existed read as empty.
 */
public final class StoredMetadata {

    private static final Logger logger = LoggerFactory.getLogger(StoredMetadata.class);

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
     * Reads metadata written by {@link #write}, leniently: it is read on the claim and list paths, where an exception
     * would block the whole queue on every poll. Text that is not a JSON object (written by hand or by another tool)
     * is logged at WARN, naming the job, and read as no metadata; values that are not strings are kept as their JSON
     * text ({@code null} values are dropped), also with a WARN.
     * @param json the JSON object, or {@code null} or empty for none
     * @param job the job's id, for the log
     * @return the metadata; never throws
     */
    public static Map<String, String> read(@Nullable String json, Object job) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        JsonNode node;
        try {
            node = mapper.readTree(json);
        }
        catch (RuntimeException ex) {
            logger.warn("The stored metadata of job {} is not JSON and is ignored: {} ({})", job, abbreviate(json),
                    ex.getMessage());
            return Map.of();
        }
        if (node == null || !node.isObject()) {
            logger.warn("The stored metadata of job {} is not a JSON object and is ignored: {}", job, abbreviate(json));
            return Map.of();
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            JsonNode value = entry.getValue();
            if (value.isString()) {
                metadata.put(entry.getKey(), Objects.requireNonNull(value.asString()));
            }
            else if (value.isNull() || value.isMissingNode()) {
                logger.warn("The stored metadata of job {} holds null at '{}'; the entry is ignored", job,
                        entry.getKey());
            }
            else {
                logger.warn("The stored metadata of job {} holds a {} at '{}', not a string; it is read as its JSON text",
                        job, value.getNodeType(), entry.getKey());
                metadata.put(entry.getKey(), mapper.writeValueAsString(value));
            }
        }
        return metadata;
    }

    private static String abbreviate(String text) {
        return (text.length() <= 60) ? text : text.substring(0, 60) + "...";
    }
}
