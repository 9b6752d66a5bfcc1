package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Since} answers exactly as {@code Duration.between(at, now) > bound} did, also in the millisecond of the bound,
 * where only the clock's instant can tell.
 */
class SinceTests {

    private static final Instant RENEWED = Instant.parse("2026-12-06T08:00:00.123456789Z");

    private static final Duration BOUND = Duration.ofSeconds(20);

    private final Since since = Since.of(RENEWED, BOUND);

    @Test
    void itIsOverOnlyAfterTheBoundToTheNanosecondAsTheDurationWas() {
        Instant bound = RENEWED.plus(BOUND);
        for (Instant now : new Instant[] { RENEWED, bound.minusNanos(1), bound, bound.plusNanos(1),
                bound.minusMillis(1), bound.plusMillis(1), bound.plusSeconds(60) }) {
            boolean byDuration = Duration.between(RENEWED, now).compareTo(BOUND) > 0;
            assertThat(this.since.isOver(now)).as("at %s", now).isEqualTo(byDuration);
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            assertThat(this.since.isOver(clock.millis(), clock)).as("by milliseconds at %s", now).isEqualTo(byDuration);
        }
    }

    @Test
    void beforeNineteenSeventyItIsExactToo() {
        Instant at = Instant.parse("1969-12-31T23:59:59.999500000Z");
        Since early = Since.of(at, Duration.ofNanos(1));
        for (Instant now : new Instant[] { at, at.plusNanos(1), at.plusNanos(2), at.plusMillis(1), at.minusMillis(1) }) {
            boolean byDuration = Duration.between(at, now).compareTo(Duration.ofNanos(1)) > 0;
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            assertThat(early.isOver(now)).as("at %s", now).isEqualTo(byDuration);
            assertThat(early.isOver(clock.millis(), clock)).as("by milliseconds at %s", now).isEqualTo(byDuration);
        }
    }

    @Test
    void aBoundPastWhatAnInstantHoldsIsNeverOver() {
        Since forever = Since.of(RENEWED, Duration.ofSeconds(Long.MAX_VALUE));
        Since pastMillis = Since.of(RENEWED, Duration.ofSeconds(Long.MAX_VALUE / 1_000));

        assertThat(forever.isOver(Instant.MAX)).isFalse();
        assertThat(forever.isOver(Long.MAX_VALUE - 1, Clock.systemUTC())).isFalse();
        assertThat(pastMillis.isOver(Instant.now())).isFalse();
        assertThat(pastMillis.isOver(System.currentTimeMillis(), Clock.systemUTC())).isFalse();
    }

    @Test
    void outsideTheBoundsMillisecondTheMillisecondsDecideWithoutTheInstant() {
        long boundMillis = RENEWED.plus(BOUND).toEpochMilli();
        Clock unread = new Clock() {

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw new AssertionError("the instant is read only in the bound's millisecond");
            }
        };

        assertThat(this.since.isOver(boundMillis - 1, unread)).isFalse();
        assertThat(this.since.isOver(boundMillis + 1, unread)).isTrue();
    }
}
