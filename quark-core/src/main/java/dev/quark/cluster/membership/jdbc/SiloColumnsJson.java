package dev.quark.cluster.membership.jdbc;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.quark.cluster.membership.Suspicion;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The two {@code jsonb} columns of a silo's row: {@code actor_types}, a sorted array of names
 * ({@code ["Account","Bank"]}), and {@code suspicions}, an array of votes
 * ({@code [{"suspectingSiloId":"silo-b","at":"2025-06-10T08:00:05Z"}]}, instants ISO-8601 in UTC, to the
 * millisecond). Written with Jackson's tree model, so the format is spelled out here and needs no reflection.
 */
final class SiloColumnsJson {

    private static final JsonMapper MAPPER = JsonMapper.shared();

    private SiloColumnsJson() {
    }

    static String actorTypes(Collection<String> actorTypes) {
        ArrayNode json = MAPPER.createArrayNode();
        new TreeSet<>(actorTypes).forEach(json::add);
        return MAPPER.writeValueAsString(json);
    }

    static String suspicions(List<Suspicion> suspicions) {
        ArrayNode json = MAPPER.createArrayNode();
        for (Suspicion suspicion : suspicions) {
            ObjectNode vote = json.addObject();
            vote.put("suspectingSiloId", suspicion.suspectingSiloId());
            vote.put("at", suspicion.at().truncatedTo(ChronoUnit.MILLIS).toString());
        }
        return MAPPER.writeValueAsString(json);
    }

    static Set<String> readActorTypes(String json) {
        Set<String> actorTypes = new TreeSet<>();
        try {
            for (JsonNode name : array(json, "actor_types")) {
                actorTypes.add(name.stringValue());
            }
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("column actor_types: " + ex.getMessage(), ex);
        }
        return actorTypes;
    }

    static List<Suspicion> readSuspicions(String json) {
        List<Suspicion> suspicions = new ArrayList<>();
        try {
            for (JsonNode vote : array(json, "suspicions")) {
                suspicions.add(new Suspicion(vote.required("suspectingSiloId").stringValue(),
                        Instant.parse(vote.required("at").stringValue())));
            }
        }
        catch (JacksonException | DateTimeParseException ex) {
            throw new IllegalArgumentException("column suspicions: " + ex.getMessage(), ex);
        }
        return suspicions;
    }

    private static Collection<JsonNode> array(String json, String column) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (!node.isArray()) {
                throw new IllegalArgumentException("column " + column + " is not a JSON array: " + json);
            }
            return node.values();
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("column " + column + ": " + ex.getMessage(), ex);
        }
    }
}
