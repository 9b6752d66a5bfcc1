package dev.quark.cluster.transport.jackson;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import dev.quark.actor.ReminderSchedule;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.module.SimpleModule;

/**
 * Carries Quark's own values that have no public constructor between silos: {@link ReminderSchedule}, written as
 * an object of its parts ({@code periodMillis}, {@code cron} and {@code zone}, {@code dueInMillis} or
 * {@code dueAtMillis}, {@code maxTicks}, {@code endAtMillis}; absent parts left out) and rebuilt through its
 * factory methods, so that a schedule read from another silo is checked as one built here. The serializers are
 * created here, not found by reflection, so native images need no hints for them.
 */
final class QuarkValuesModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    QuarkValuesModule() {
        super("quark-values");
        addSerializer(ReminderSchedule.class, new ReminderScheduleSerializer());
        addDeserializer(ReminderSchedule.class, new ReminderScheduleDeserializer());
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
