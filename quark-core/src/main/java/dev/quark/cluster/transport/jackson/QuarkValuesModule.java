package dev.quark.cluster.transport.jackson;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.module.SimpleModule;

/**
 * Carries Quark's own values that have no public constructor between silos: {@link ReminderSchedule}, written as
 * an object of its parts ({@code periodMillis}, {@code cron} and {@code zone}, {@code dueInMillis} or
 * {@code dueAtMillis}, {@code maxTicks}, {@code endAtMillis}; absent parts left out) and rebuilt through its
 * factory methods, so that a schedule read from another silo is checked as one built here. It also reads a
 * {@link ReminderStatus}, written as Jackson writes the record, with a deserializer of its own: every tick of a
 * reminder whose actor lives on another silo carries one, and Jackson's record deserializer with its
 * {@code DateTimeFormatter} for the two instants was the largest part of decoding a tick (about an eighth of a
 * silo's processor in the three-silo reminders benchmark). The serializers are created here, not found by
 * reflection, so native images need no hints for them.
 */
final class QuarkValuesModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    QuarkValuesModule() {
        super("quark-values");
        addSerializer(ReminderSchedule.class, new ReminderScheduleSerializer());
        addDeserializer(ReminderSchedule.class, new ReminderScheduleDeserializer());
        setDeserializerModifier(new ValueDeserializerModifier() {

            private static final long serialVersionUID = 1L;

            @Override
            public ValueDeserializer<?> modifyDeserializer(DeserializationConfig config,
                    BeanDescription.Supplier description, ValueDeserializer<?> deserializer) {
                return (description.getBeanClass() == ReminderStatus.class
                        && ReminderStatusDeserializer.readsDefaultNames(config)) ? new ReminderStatusDeserializer()
                                : deserializer;
            }
        });
    }

    /**
     * Reads the object Jackson writes for a {@link ReminderStatus} ({@code scheduledAt}, {@code firedAt},
     * {@code payload}, {@code attempt}, in any order) without its record machinery: instants in the usual form are
     * read by {@link IsoInstants}, anything else (numbers, other text, other token types) by the mapper as the
     * record deserializer would, so that the mapper's settings still apply to them. Used only where the mapper
     * writes the record's own names: with a naming strategy, case-insensitive properties, a mix-in or a configured
     * override of the type, the record deserializer stays.
     */
    private static final class ReminderStatusDeserializer extends ValueDeserializer<ReminderStatus> {

        static boolean readsDefaultNames(DeserializationConfig config) {
            return config.getPropertyNamingStrategy() == null
                    && !config.isEnabled(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
                    && config.findMixInClassFor(ReminderStatus.class) == null
                    && config.findConfigOverride(ReminderStatus.class) == null;
        }

        @Override
        public ReminderStatus deserialize(JsonParser parser, DeserializationContext context) {
            String name;
            if (parser.isExpectedStartObjectToken()) {
                name = parser.nextName();
            }
            else if (parser.hasToken(JsonToken.PROPERTY_NAME) || parser.hasToken(JsonToken.END_OBJECT)) {
                // After a type id the object's start is already read.
                name = parser.currentName();
                name = parser.hasToken(JsonToken.END_OBJECT) ? null : name;
            }
            else {
                return context.reportInputMismatch(this, "%s", "A reminder status is an object "
                        + "{scheduledAt, firedAt, payload, attempt}, found " + parser.currentToken());
            }
            Instant scheduledAt = null;
            Instant firedAt = null;
            byte[] payload = null;
            Integer attempt = null;
            for (; name != null; name = parser.nextName()) {
                parser.nextToken();
                switch (name) {
                    case "scheduledAt" -> scheduledAt = instant(parser, context);
                    case "firedAt" -> firedAt = instant(parser, context);
                    case "payload" -> payload = (parser.hasToken(JsonToken.VALUE_STRING)
                            || parser.hasToken(JsonToken.VALUE_EMBEDDED_OBJECT))
                                    ? parser.getBinaryValue(context.getBase64Variant())
                                    : context.readValue(parser, byte[].class);
                    case "attempt" -> attempt = parser.hasToken(JsonToken.VALUE_NUMBER_INT) ? parser.getIntValue()
                            : context.readValue(parser, Integer.class);
                    default -> context.handleUnknownProperty(parser, this, ReminderStatus.class, name);
                }
            }
            if (!parser.hasToken(JsonToken.END_OBJECT)) {
                return context.reportInputMismatch(this, "%s", "A reminder status is an object "
                        + "{scheduledAt, firedAt, payload, attempt}, found " + parser.currentToken() + " in it");
            }
            if (scheduledAt == null || firedAt == null || payload == null || attempt == null) {
                return context.reportInputMismatch(this, "%s", "A reminder status needs scheduledAt, firedAt, "
                        + "payload and attempt; missing: " + missing(scheduledAt, firedAt, payload, attempt));
            }
            try {
                return new ReminderStatus(scheduledAt, firedAt, payload, attempt);
            }
            catch (IllegalArgumentException ex) {
                return context.reportInputMismatch(this, "%s", "Invalid reminder status: " + ex.getMessage());
            }
        }

        private static @Nullable Instant instant(JsonParser parser, DeserializationContext context) {
            if (parser.hasToken(JsonToken.VALUE_STRING)) {
                Instant instant = IsoInstants.read(parser.getString());
                if (instant != null) {
                    return instant;
                }
            }
            return context.readValue(parser, Instant.class);
        }

        private static String missing(@Nullable Instant scheduledAt, @Nullable Instant firedAt,
                byte @Nullable [] payload, @Nullable Integer attempt) {
            List<String> missing = new ArrayList<>();
            if (scheduledAt == null) {
                missing.add("scheduledAt");
            }
            if (firedAt == null) {
                missing.add("firedAt");
            }
            if (payload == null) {
                missing.add("payload");
            }
            if (attempt == null) {
                missing.add("attempt");
            }
            return String.join(", ", missing);
        }

        @Override
        public Class<?> handledType() {
            return ReminderStatus.class;
        }
    }

    private static final class ReminderScheduleSerializer extends ValueSerializer<ReminderSchedule> {

        @Override
        public void serialize(ReminderSchedule schedule, JsonGenerator generator, SerializationContext context) {
            generator.writeStartObject(schedule);
            if (schedule.period().isPresent()) {
                generator.writeNumberProperty("periodMillis", schedule.period().get().toMillis());
            }
            if (schedule.cronExpression().isPresent() && schedule.zone().isPresent()) {
                generator.writeStringProperty("cron", schedule.cronExpression().get());
                generator.writeStringProperty("zone", schedule.zone().get().getId());
            }
            if (schedule.dueIn().isPresent()) {
                generator.writeNumberProperty("dueInMillis", schedule.dueIn().get().toMillis());
            }
            if (schedule.dueAt().isPresent()) {
                generator.writeNumberProperty("dueAtMillis", schedule.dueAt().get().toEpochMilli());
            }
            if (schedule.isPeriodic() && schedule.maxTicks().isPresent()) {
                generator.writeNumberProperty("maxTicks", schedule.maxTicks().getAsLong());
            }
            if (schedule.endAt().isPresent()) {
                generator.writeNumberProperty("endAtMillis", schedule.endAt().get().toEpochMilli());
            }
            generator.writeEndObject();
        }

        @Override
        public Class<?> handledType() {
            return ReminderSchedule.class;
        }
    }

    private static final class ReminderScheduleDeserializer extends ValueDeserializer<ReminderSchedule> {

        @Override
        public ReminderSchedule deserialize(JsonParser parser, DeserializationContext context) {
            JsonNode node = context.readTree(parser);
            if (node == null || !node.isObject()) {
                return context.reportInputMismatch(this, "%s", "A reminder schedule is an object of its parts, found "
                        + ((node == null) ? "nothing" : node.getNodeType()));
            }
            try {
                return read(node);
            }
            catch (IllegalArgumentException | java.time.DateTimeException ex) {
                return context.reportInputMismatch(this, "%s", "Invalid reminder schedule " + node + ": "
                        + ex.getMessage());
            }
        }

        private static ReminderSchedule read(JsonNode node) {
            Long period = millis(node, "periodMillis");
            String cron = text(node, "cron");
            Long dueIn = millis(node, "dueInMillis");
            Long dueAt = millis(node, "dueAtMillis");
            Long maxTicks = millis(node, "maxTicks");
            Long endAt = millis(node, "endAtMillis");
            ReminderSchedule schedule;
            if (cron != null) {
                String zone = text(node, "zone");
                if (zone == null) {
                    throw new IllegalArgumentException("a cron expression needs a zone");
                }
                schedule = ReminderSchedule.cron(cron, ZoneId.of(zone));
            }
            else if (period != null) {
                schedule = ReminderSchedule.every(Duration.ofMillis(period));
            }
            else if (dueAt != null) {
                schedule = ReminderSchedule.onceAt(Instant.ofEpochMilli(dueAt));
            }
            else if (dueIn != null) {
                schedule = ReminderSchedule.once(Duration.ofMillis(dueIn));
            }
            else {
                throw new IllegalArgumentException("it has no period, cron expression or due time");
            }
            if (schedule.isPeriodic()) {
                if (dueAt != null) {
                    schedule = schedule.startingAt(Instant.ofEpochMilli(dueAt));
                }
                else if (dueIn != null) {
                    schedule = schedule.startingIn(Duration.ofMillis(dueIn));
                }
                if (maxTicks != null) {
                    schedule = schedule.times(maxTicks);
                }
            }
            if (endAt != null) {
                schedule = schedule.until(Instant.ofEpochMilli(endAt));
            }
            return schedule;
        }

        private static @Nullable Long millis(JsonNode node, String name) {
            if (!node.hasNonNull(name)) {
                return null;
            }
            JsonNode value = node.get(name);
            if (!value.isIntegralNumber()) {
                throw new IllegalArgumentException(name + " must be a whole number, was " + value);
            }
            return value.longValue();
        }

        private static @Nullable String text(JsonNode node, String name) {
            if (!node.hasNonNull(name)) {
                return null;
            }
            JsonNode value = node.get(name);
            if (!value.isString()) {
                throw new IllegalArgumentException(name + " must be a string, was " + value);
            }
            return value.stringValue();
        }

        @Override
        public Class<?> handledType() {
            return ReminderSchedule.class;
        }
    }
}
