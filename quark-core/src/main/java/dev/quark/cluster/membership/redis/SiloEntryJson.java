package dev.quark.cluster.membership.redis;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.Suspicion;
import dev.quark.cluster.membership.TransportSecurity;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes and reads the JSON a silo's entry is kept as, in the format documented on
 * {@link RedisMembershipProvider#entryJson(SiloEntry)}. It uses Jackson's tree model, so the format is spelled
 * out here rather than derived from the records, and needs no reflection (nor native-image hints).
 */
final class SiloEntryJson {

    static final int FORMAT = 1;

    private static final JsonMapper MAPPER = JsonMapper.shared();

    private SiloEntryJson() {
    }

    static String write(SiloEntry entry) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("format", FORMAT);
        json.put("siloId", entry.siloId());
        ObjectNode address = json.putObject("address");
        address.put("host", entry.address().host());
        address.put("port", entry.address().port());
        json.put("startTime", instant(entry.startTime()));
        json.put("status", entry.status().name());
        json.put("epoch", Long.toString(entry.epoch()));
        ArrayNode actorTypes = json.putArray("actorTypes");
        new TreeSet<>(entry.actorTypes()).forEach(actorTypes::add);
        ArrayNode suspicions = json.putArray("suspicions");
        for (Suspicion suspicion : entry.suspicions()) {
            ObjectNode vote = suspicions.addObject();
            vote.put("suspectingSiloId", suspicion.suspectingSiloId());
            vote.put("at", instant(suspicion.at()));
        }
        if (entry.transportSecurity() != TransportSecurity.UNKNOWN) {
            json.put("transportSecurity", entry.transportSecurity().name());
        }
        return MAPPER.writeValueAsString(json);
    }

    /**
     * Reads an entry.
     * @param json the JSON
     * @param lastHeartbeat the heartbeat kept beside it
     * @return the entry
     * @throws IllegalArgumentException naming what is wrong when the JSON is not an entry
     */
    static SiloEntry read(String json, Instant lastHeartbeat) {
        try {
            JsonNode node = MAPPER.readTree(json);
            int format = node.required("format").intValue();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown format " + format + ", this version reads " + FORMAT);
            }
            JsonNode address = node.required("address");
            Set<String> actorTypes = new TreeSet<>();
            for (JsonNode actorType : array(node, "actorTypes")) {
                actorTypes.add(actorType.stringValue());
            }
            List<Suspicion> suspicions = new ArrayList<>();
            for (JsonNode vote : array(node, "suspicions")) {
                suspicions.add(new Suspicion(vote.required("suspectingSiloId").stringValue(),
                        Instant.parse(vote.required("at").stringValue())));
            }
            return new SiloEntry(node.required("siloId").stringValue(),
                    new SiloAddress(address.required("host").stringValue(), address.required("port").intValue()),
                    Instant.parse(node.required("startTime").stringValue()),
                    SiloStatus.valueOf(node.required("status").stringValue()), lastHeartbeat,
                    Long.parseLong(node.required("epoch").stringValue()), actorTypes, suspicions,
                    transportSecurity(node.get("transportSecurity")));
        }
        catch (JacksonException | DateTimeParseException ex) {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    /** Absent (an entry of an earlier version), or a value this version does not know: does not say. */
    private static TransportSecurity transportSecurity(@Nullable JsonNode field) {
        if (field == null || !field.isString()) {
            return TransportSecurity.UNKNOWN;
        }
        try {
            return TransportSecurity.valueOf(field.stringValue());
        }
        catch (IllegalArgumentException ex) {
            return TransportSecurity.UNKNOWN;
        }
    }

    private static Iterable<JsonNode> array(JsonNode node, String name) {
        JsonNode array = node.required(name);
        if (!array.isArray()) {
            throw new IllegalArgumentException("'" + name + "' is not an array");
        }
        return array.values();
    }

    static String instant(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
