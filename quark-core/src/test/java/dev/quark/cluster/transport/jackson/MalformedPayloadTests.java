package dev.quark.cluster.transport.jackson;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.jackson.fixtures.Currency;
import dev.quark.cluster.transport.jackson.fixtures.Ledger;
import dev.quark.cluster.transport.jackson.fixtures.Money;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Bytes that are not what a method expects fail with a {@link PayloadCodecException} naming the method and,
 * when known, the argument; no serializer exception leaks.
 */
class MalformedPayloadTests {

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of());

    private final MethodDescriptor add = Descriptors.of(Ledger.class, "add");

    private final MethodDescriptor total = Descriptors.of(Ledger.class, "total");

    @Test
    void bytesThatAreNotAnArrayOfArgumentsNameTheMethod() {
        for (String bytes : List.of("", "not json", "{}", "\"text\"", "42", "[")) {
            assertDecodeFails(this.add, bytes, "Cannot decode the arguments of " + this.add);
        }
        assertDecodeFails(this.add, "[{\"cents\":1,", "Cannot decode argument 0 (" + Money.class.getName() + ") of "
                + this.add + ": Unexpected end-of-input");
    }

    @Test
    void anotherNumberOfArgumentsIsRefusedWithBothCounts() {
        assertDecodeFails(this.add, "[]", "it takes 2 arguments, found 0");
        assertDecodeFails(this.add, "[{\"cents\":1,\"currency\":\"EUR\"}]", "it takes 2 arguments, found 1");
        assertDecodeFails(this.add, "[null,null,null]", "it takes 2 arguments, found more");
        assertDecodeFails(this.add, "[null,null] []", "bytes follow them");
        assertDecodeFails(this.add, "[null,null", "Cannot decode the arguments of " + this.add + ": Unexpected end-of-input");
        assertDecodeFails(this.add, "[null,", "Cannot decode the arguments of " + this.add + ": Unexpected end-of-input");
    }

    @Test
    void anArgumentOfAnotherTypeNamesItsIndexAndType() {
        assertDecodeFails(this.add, "[null,\"ten euros\"]", "Cannot decode argument 1 (" + Money.class.getName()
                + ") of " + this.add);
        assertDecodeFails(this.add, "[{\"cents\":\"many\",\"currency\":\"EUR\"},null]", "argument 0 (");
        assertDecodeFails(this.add, "[{\"cents\":1,\"currency\":\"GBP\"},null]", "argument 0 (");
        assertDecodeFails(this.total, "[1,2,3.5,true,\"ab\"]", "argument 4 (char)");
        assertDecodeFails(this.total, "[null,2,3.5,true,\"a\"]", "argument 0 (long)");
        assertDecodeFails(Descriptors.of(Ledger.class, "split"), "[[{\"cents\":1,\"currency\":\"EUR\"},7],1]",
                "argument 0 (java.util.List<" + Money.class.getName() + ">)");
    }

    @Test
    void aReminderScheduleThatCouldNotBeBuiltHereIsRefusedNamingWhy() {
        MethodDescriptor remind = Descriptors.of(Ledger.class, "remind");
        assertDecodeFails(remind, "[{\"periodMillis\":0},[]]", "Reminder period must be at least 1 ms, was PT0S");
        assertDecodeFails(remind, "[{\"cron\":\"0 0 31 2 * * *\",\"zone\":\"UTC\"},[]]", "Invalid cron expression '0 0 31 2 * * *'");
        assertDecodeFails(remind, "[{\"cron\":\"@daily\"},[]]", "a cron expression needs a zone");
        assertDecodeFails(remind, "[{\"maxTicks\":2},[]]", "it has no period, cron expression or due time");
        assertDecodeFails(remind, "[{\"periodMillis\":\"soon\"},[]]", "periodMillis must be a whole number, was \"soon\"");
        assertDecodeFails(remind, "[[1000],[]]", "A reminder schedule is an object of its parts, found ARRAY");
    }

    @Test
    void aReminderStatusThatIsIncompleteOrInvalidIsRefusedNamingWhat() {
        MethodDescriptor tick = Descriptors.of(Ledger.class, "tick");
        String at = "\"2026-12-05T17:37:39.615Z\"";
        assertDecodeFails(tick, "[\"beep\",[1,2]]", "Cannot decode argument 1 (dev.quark.actor.ReminderStatus) of "
                + tick + ": A reminder status is an object {scheduledAt, firedAt, payload, attempt}, found START_ARRAY");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":" + at + ",\"payload\":\"\"}]",
                "A reminder status needs scheduledAt, firedAt, payload and attempt; missing: firedAt, attempt");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":" + at + ",\"firedAt\":null,\"payload\":null,\"attempt\":1}]",
                "missing: firedAt, payload");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":" + at + ",\"firedAt\":" + at + ",\"payload\":\"\",\"attempt\":0}]",
                "Invalid reminder status: attempt must be at least 1, was 0");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":\"2026-02-30T10:00:00Z\",\"firedAt\":" + at
                + ",\"payload\":\"\",\"attempt\":1}]", "2026-02-30T10:00:00Z");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":\"soon\",\"firedAt\":" + at
                + ",\"payload\":\"\",\"attempt\":1}]", "soon");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":" + at + ",\"firedAt\":" + at
                + ",\"payload\":\"not base64!\",\"attempt\":1}]", "argument 1 (dev.quark.actor.ReminderStatus)");
        assertDecodeFails(tick, "[\"beep\",{\"scheduledAt\":" + at + ",\"firedAt\":" + at, "Unexpected end-of-input");
    }

    @Test
    void deeplyNestedInputIsRefusedByTheParsersLimitsNotByAStackOverflow() {
        String nested = "[" + "[".repeat(100_000) + "]".repeat(100_000) + ",1]";
        assertDecodeFails(Descriptors.of(Ledger.class, "split"), nested,
                "Cannot decode argument 0 (java.util.List<" + Money.class.getName() + ">)");
        assertResultFails(Descriptors.of(Ledger.class, "index"), "{\"a\":" + "[".repeat(100_000), "Cannot decode the result");
    }

    @Test
    void resultsThatAreNotTheResultTypeNameTheMethod() {
        assertResultFails(this.add, "", "Cannot decode the result of " + this.add + ": no value came");
        assertResultFails(this.add, "[1,2]", "Cannot decode the result (" + Money.class.getName() + ") of " + this.add);
        assertResultFails(this.add, "{\"cents\":1,\"currency\":\"EUR\"} {}", "bytes follow it");
        assertResultFails(this.total, "null", "Cannot decode the result (double) of " + this.total + ": Cannot map `null`");
        assertResultFails(Descriptors.of(Ledger.class, "reset"), "null", "it returns nothing, yet 4 bytes came");
    }

    @Test
    void argumentsThatCannotBeEncodedNameTheMethod() {
        assertThatExceptionOfType(PayloadCodecException.class)
            .isThrownBy(() -> this.codec.encodeArguments(this.add, new Object[] { new Money(1, Currency.EUR) }))
            .withMessage("Cannot encode the arguments of " + this.add + ": it takes 2 arguments, not 1");
        assertThatExceptionOfType(PayloadCodecException.class)
            .isThrownBy(() -> this.codec.encodeArguments(this.add, new Object[] { new Money(1, Currency.EUR), "x" }))
            .withMessageStartingWith("Cannot encode argument 1 (" + Money.class.getName() + ") of " + this.add);
    }

    private void assertDecodeFails(MethodDescriptor method, String bytes, String message) {
        assertThatExceptionOfType(PayloadCodecException.class)
            .as(bytes)
            .isThrownBy(() -> this.codec.decodeArguments(method, bytes.getBytes(StandardCharsets.UTF_8)))
            .withMessageContaining(message);
    }

    private void assertResultFails(MethodDescriptor method, String bytes, String message) {
        assertThatExceptionOfType(PayloadCodecException.class)
            .as(bytes)
            .isThrownBy(() -> this.codec.decodeResult(method, bytes.getBytes(StandardCharsets.UTF_8)))
            .withMessageContaining(message);
    }
}
