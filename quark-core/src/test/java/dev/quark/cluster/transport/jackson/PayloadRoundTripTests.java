package dev.quark.cluster.transport.jackson;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import dev.quark.actor.ReminderSchedule;
import dev.quark.actor.ReminderStatus;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.jackson.fixtures.Currency;
import dev.quark.cluster.transport.jackson.fixtures.Entry;
import dev.quark.cluster.transport.jackson.fixtures.Ledger;
import dev.quark.cluster.transport.jackson.fixtures.Money;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.DefaultTyping;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import tools.jackson.dataformat.cbor.CBORMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Arguments and results of every kind of type, there and back, in JSON and in CBOR.
 */
class PayloadRoundTripTests {

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder().build();

    static Stream<Arguments> mappers() {
        return Stream.of(Arguments.of(JsonMapper.builder().build()), Arguments.of(CBORMapper.builder().build()));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void primitivesTravelAsTheirParameterTypes(ObjectMapper mapper) {
        assertArgumentsRoundTrip(mapper, "total", 1_234_567_890_123L, 42, 0.125, true, ';');
        assertResultRoundTrip(mapper, "total", 3.5);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void recordsEnumsAndGenericCollectionsKeepTheirDeclaredTypes(ObjectMapper mapper) {
        Money ten = new Money(1000, Currency.EUR);
        assertArgumentsRoundTrip(mapper, "add", ten, new Money(5, Currency.USD));
        assertArgumentsRoundTrip(mapper, "split", List.of(ten, new Money(1, Currency.CHF)), 3);
        assertResultRoundTrip(mapper, "split", List.of(ten));
        Map<String, Set<Long>> index = new LinkedHashMap<>();
        index.put("even", Set.of(2L, 4L));
        index.put("none", Set.of());
        assertArgumentsRoundTrip(mapper, "index", index);
        assertResultRoundTrip(mapper, "index", index);
        assertArgumentsRoundTrip(mapper, "convert", Currency.CHF);
        assertResultRoundTrip(mapper, "convert", Currency.USD);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void genericElementsAreReadAsTheirTypeNotAsMaps(ObjectMapper mapper) {
        @Nullable Object[] decoded = roundTrip(mapper, "split", List.of(new Money(7, Currency.EUR)), 1);
        assertThat((List<?>) decoded[0]).first().isInstanceOf(Money.class);
        Object index = roundTrip(mapper, "index", Map.of("odd", Set.of(1L)))[0];
        assertThat(((Map<?, ?>) index).get("odd")).isInstanceOf(Set.class).asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.collection(Object.class)).first().isInstanceOf(Long.class);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void optionalsTimeTypesAndRecordsOfThemTravel(ObjectMapper mapper) {
        assertArgumentsRoundTrip(mapper, "find", Optional.of("k-1"));
        assertArgumentsRoundTrip(mapper, "find", Optional.empty());
        assertResultRoundTrip(mapper, "find", Optional.of(new Money(3, Currency.EUR)));
        assertResultRoundTrip(mapper, "find", Optional.empty());
        assertArgumentsRoundTrip(mapper, "schedule", Instant.parse("2026-03-01T10:15:30.123456789Z"),
                Duration.ofMillis(1500), LocalDate.of(2026, 2, 28));
        Entry entry = new Entry("e-1", List.of(new Money(1, Currency.EUR)),
                Map.of(Currency.EUR, new Money(1, Currency.EUR)), Optional.of(Instant.parse("2026-01-01T00:00:00Z")));
        assertArgumentsRoundTrip(mapper, "book", entry);
        assertResultRoundTrip(mapper, "book", new Entry("e-2", List.of(), Map.of(), Optional.empty()));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void reminderSchedulesTravelAndAreRebuiltEqual(ObjectMapper mapper) {
        Instant at = Instant.parse("2026-03-01T10:15:30.123Z");
        ReminderSchedule every = ReminderSchedule.every(Duration.ofMillis(250)).startingAt(at).times(40)
            .until(at.plusSeconds(3600));
        List<ReminderSchedule> more = List.of(ReminderSchedule.once(Duration.ofMinutes(30)), ReminderSchedule.onceAt(at),
                ReminderSchedule.every(Duration.ofHours(1)), ReminderSchedule.every(Duration.ofSeconds(5))
                    .startingIn(Duration.ofSeconds(1)),
                ReminderSchedule.cron("0 0 9 1 * *", ZoneId.of("Europe/Paris")).times(3),
                ReminderSchedule.cron("@monthly", ZoneOffset.UTC).startingAt(at).until(at.plus(Duration.ofDays(400))));
        assertArgumentsRoundTrip(mapper, "remind", every, more);
        assertResultRoundTrip(mapper, "remind", ReminderSchedule.once(Duration.ZERO));
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void reminderStatusesTravelWithEveryPrecisionOfTheirInstants(ObjectMapper mapper) {
        for (String at : List.of("2026-12-05T17:37:39Z", "2026-12-05T17:37:39.600Z", "2026-12-05T17:37:39.615123Z",
                "2026-12-05T17:37:39.615123456Z", "0001-01-01T00:00:00.000000001Z", "9999-12-31T23:59:59.999999999Z",
                "1969-12-31T23:59:59.5Z", "+10000-01-01T00:00:00Z", "-0001-06-30T12:00:00Z")) {
            Instant scheduled = Instant.parse(at);
            ReminderStatus status = new ReminderStatus(scheduled, scheduled.plusMillis(3),
                    "beep \u00ff".getBytes(StandardCharsets.UTF_8), 2);
            assertArgumentsRoundTrip(mapper, "tick", "beep", status);
            assertResultRoundTrip(mapper, "tick", status);
        }
    }

    @Test
    void aReminderStatusIsReadAsTheRecordDeserializerReadsIt() {
        JsonMapper plain = JsonMapper.builder().build();
        MethodDescriptor tick = descriptor("tick");
        PayloadCodec codec = codec(plain);
        for (String json : List.of(
                "{\"scheduledAt\":\"2026-12-05T17:37:39.615Z\",\"firedAt\":\"2026-12-05T17:37:39.616Z\",\"payload\":\"AQI=\",\"attempt\":1}",
                "{\"attempt\":3,\"payload\":\"\",\"firedAt\":\"2026-12-05T17:37:40Z\",\"scheduledAt\":\"2026-12-05T17:37:39.1Z\"}",
                "{\"scheduledAt\":\"2026-12-05T18:37:39.615+01:00\",\"firedAt\":1796492259.5,\"payload\":\"AQI=\",\"attempt\":\"2\"}",
                "{\"scheduledAt\":1796492259615,\"firedAt\":\"2026-12-05T17:37:39.616123456Z\",\"payload\":\"AQI=\",\"attempt\":1}")) {
            ReminderStatus recordRead = plain.readValue(json, ReminderStatus.class);
            @Nullable Object[] decoded = codec.decodeArguments(tick,
                    ("[\"beep\"," + json + "]").getBytes(StandardCharsets.UTF_8));
            assertThat(decoded[1]).as(json).isEqualTo(recordRead);
        }
    }

    @Test
    void aReminderStatusTravelsWithTheMappersOwnNamesAndTypeIds() {
        Instant at = Instant.parse("2026-12-05T17:37:39.615Z");
        ReminderStatus status = new ReminderStatus(at, at.plusMillis(2), new byte[] { 1, 2 }, 3);
        for (JsonMapper mapper : List.of(
                JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build(),
                JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build(),
                JsonMapper.builder().enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES).build())) {
            assertArgumentsRoundTrip(mapper, "tick", "beep", status);
        }
        JsonMapper typed = JsonMapper.builder().addModule(new QuarkValuesModule())
            .activateDefaultTypingAsProperty(BasicPolymorphicTypeValidator.builder().allowIfBaseType(Object.class).build(),
                    DefaultTyping.NON_FINAL, "@class")
            .build();
        String written = typed.writerFor(Object.class).writeValueAsString(status);
        assertThat(written).startsWith("{\"@class\":\"dev.quark.actor.ReminderStatus\",");
        assertThat(typed.readValue(written, Object.class)).isEqualTo(status);
        JsonMapper plain = JsonMapper.builder().addModule(new QuarkValuesModule()).build();
        assertThat(plain.readValue("{\"scheduledAt\":\"2026-12-05T17:37:39.615Z\",\"firedAt\":\"2026-12-05T17:37:39.617Z\","
                + "\"payload\":[1,2],\"attempt\":3}", ReminderStatus.class)).as("a payload as an array of numbers")
            .isEqualTo(status);
    }

    @Test
    void aReminderStatusWrittenWithNumericInstantsIsReadBack() {
        JsonMapper numeric = JsonMapper.builder().enable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS).build();
        Instant at = Instant.parse("2026-12-05T17:37:39.615123456Z");
        ReminderStatus status = new ReminderStatus(at, at.plusSeconds(1), new byte[] { 7 }, 4);
        String written = new String(codec(numeric).encodeArguments(descriptor("tick"), new Object[] { "beep", status }),
                StandardCharsets.UTF_8);
        assertThat(written).contains("\"scheduledAt\":1796492259.615123456");
        assertArgumentsRoundTrip(numeric, "tick", "beep", status);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void arraysAndByteArraysTravel(ObjectMapper mapper) {
        byte[] data = "payload \u0000\u00ff".getBytes(StandardCharsets.UTF_8);
        @Nullable Object[] decoded = roundTrip(mapper, "digest", (Object) data);
        assertThat((byte[]) decoded[0]).isEqualTo(data);
        assertThat((byte[]) resultRoundTrip(mapper, "digest", new byte[] { 1, 2, 3 })).containsExactly(1, 2, 3);
        Money[] moneys = { new Money(1, Currency.EUR), new Money(2, Currency.USD) };
        decoded = roundTrip(mapper, "sorted", moneys, new int[] { 1, 0 });
        assertThat((Money[]) decoded[0]).containsExactly(moneys);
        assertThat((int[]) decoded[1]).containsExactly(1, 0);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void nullArgumentsAndResultsStayNull(ObjectMapper mapper) {
        assertArgumentsRoundTrip(mapper, "describe", null, null);
        assertArgumentsRoundTrip(mapper, "describe", "label", null);
        assertResultRoundTrip(mapper, "describe", null);
        assertResultRoundTrip(mapper, "add", null);
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void asynchronousResultsUseTheFuturesTypeArgument(ObjectMapper mapper) {
        assertResultRoundTrip(mapper, "history", List.of(new Money(9, Currency.CHF)));
        assertThat(descriptor("history").resultType().getTypeName()).contains("List<");
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void voidResultsAreNoBytesAndNoArgumentsAreAnEmptyArray(ObjectMapper mapper) {
        PayloadCodec codec = codec(mapper);
        for (String method : List.of("reset", "note", "settle")) {
            MethodDescriptor descriptor = descriptor(method);
            assertThat(codec.encodeResult(descriptor, null)).isEmpty();
            assertThat(codec.decodeResult(descriptor, new byte[0])).isNull();
        }
        MethodDescriptor reset = descriptor("reset");
        assertThat(codec.decodeArguments(reset, codec.encodeArguments(reset, new Object[0]))).isEmpty();
        assertArgumentsRoundTrip(mapper, "note", "hello");
    }

    @ParameterizedTest
    @MethodSource("mappers")
    void theCodecReusesWhatItBuiltForAMethod(ObjectMapper mapper) {
        PayloadCodec codec = codec(mapper);
        MethodDescriptor add = descriptor("add");
        Money money = new Money(1, Currency.EUR);
        for (int i = 0; i < 100; i++) {
            assertThat(codec.decodeArguments(add, codec.encodeArguments(add, new Object[] { money, money })))
                .containsExactly(money, money);
        }
        assertThat(((JacksonPayloadCodec) codec)).extracting("methods").asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.MAP).hasSize(1);
    }

    private void assertArgumentsRoundTrip(ObjectMapper mapper, String method, @Nullable Object... arguments) {
        @Nullable Object[] decoded = roundTrip(mapper, method, arguments);
        assertThat(Arrays.deepEquals(decoded, arguments)).as("%s decoded as %s", Arrays.deepToString(arguments),
                Arrays.deepToString(decoded)).isTrue();
    }

    private @Nullable Object[] roundTrip(ObjectMapper mapper, String method, @Nullable Object... arguments) {
        PayloadCodec codec = codec(mapper);
        MethodDescriptor descriptor = descriptor(method);
        return codec.decodeArguments(descriptor, codec.encodeArguments(descriptor, arguments));
    }

    private void assertResultRoundTrip(ObjectMapper mapper, String method, @Nullable Object result) {
        assertThat(resultRoundTrip(mapper, method, result)).isEqualTo(result);
    }

    private @Nullable Object resultRoundTrip(ObjectMapper mapper, String method, @Nullable Object result) {
        PayloadCodec codec = codec(mapper);
        MethodDescriptor descriptor = descriptor(method);
        return codec.decodeResult(descriptor, codec.encodeResult(descriptor, result));
    }

    private PayloadCodec codec(ObjectMapper mapper) {
        return new JacksonPayloadCodec(mapper, this.runtime, List.of());
    }

    private static MethodDescriptor descriptor(String method) {
        return Descriptors.of(Ledger.class, method);
    }
}
