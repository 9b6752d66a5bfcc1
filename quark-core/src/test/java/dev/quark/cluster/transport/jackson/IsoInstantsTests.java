package dev.quark.cluster.transport.jackson;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link IsoInstants} reads what {@link Instant#toString()} writes exactly as {@link Instant#parse} does, and
 * leaves every other form to the full parser.
 */
class IsoInstantsTests {

    @Test
    void readsWhatInstantWritesAtEveryPrecisionAsInstantParseDoes() {
        SplittableRandom random = new SplittableRandom(12);
        long first = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long last = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 200_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(first, last + 1), random.nextInt(1_000_000_000));
            ChronoUnit unit = List.of(ChronoUnit.SECONDS, ChronoUnit.MILLIS, ChronoUnit.MICROS, ChronoUnit.NANOS)
                .get(i % 4);
            String text = instant.truncatedTo(unit).toString();
            assertThat(IsoInstants.read(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void readsFractionsOfAnyLengthUpToNineDigits() {
        for (String text : List.of("2026-12-05T17:37:39.1Z", "2026-12-05T17:37:39.12Z", "2026-12-05T17:37:39.1234Z",
                "2026-12-05T17:37:39.12345Z", "2026-12-05T17:37:39.1234567Z", "2026-12-05T17:37:39.12345678Z",
                "2026-12-05T17:37:39.000000000Z", "2024-02-29T23:59:59.999999999Z", "1970-01-01T00:00:00Z")) {
            assertThat(IsoInstants.read(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void leavesEveryOtherFormToTheFullParser() {
        for (String text : List.of("", "2026-12-05", "2026-12-05T17:37:39", "2026-12-05T17:37:39.Z",
                "2026-12-05T17:37:39.1234567890Z", "2026-12-05T17:37:39+01:00", "2026-12-05T17:37:39.615+00:00",
                "2026-12-05 17:37:39Z", "2026-12-05t17:37:39Z", "2026-12-05T17:37:39z", "+12026-12-05T17:37:39Z",
                "-2026-12-05T17:37:39Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-05T24:00:00Z",
                "2026-12-05T23:60:00Z", "2026-12-31T23:59:60Z", "2026-1a-05T17:37:39Z", "2026-12-05T17:37:39,5Z",
                "2026-12-05T17:37:39.5x5Z", "2026/12/05T17:37:39Z", "２026-12-05T17:37:39Z")) {
            assertThat(IsoInstants.read(text)).as(text).isNull();
        }
    }
}
