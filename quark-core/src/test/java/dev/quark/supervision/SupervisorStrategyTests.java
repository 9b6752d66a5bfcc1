package dev.quark.supervision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class SupervisorStrategyTests {

    @Test
    void invalidRestartLimitsAreRejectedWhenConfigured() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> SupervisorStrategy.oneForOne().maxRestarts(3, Duration.ofSeconds(-1)))
            .withMessage("Restart window must be positive, was PT-1S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> SupervisorStrategy.allForOne().maxRestarts(-1, Duration.ofMinutes(1)))
            .withMessage("maxRestarts must not be negative, was -1");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> SupervisorStrategy.restForOne().maxRestarts(1, Duration.ZERO))
            .withMessageContaining("window must be positive");
    }

    @Test
    void invalidBackoffsAreRejectedNamingTheSetting() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Backoff.exponential(Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 0))
            .withMessage("Backoff max (PT1S) must not be less than initial (PT5S)");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Backoff.exponential(Duration.ofMillis(-1), Duration.ofSeconds(1), 2, 0))
            .withMessageContaining("initial must not be negative");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1), 0.5, 0))
            .withMessageContaining("multiplier must be at least 1");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1), 2, 1.5))
            .withMessageContaining("jitter must be between 0 and 1");
    }

    @Test
    void backoffGrowsExponentiallyUpToItsMaximum() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.0);
        List<Long> delays = IntStream.rangeClosed(1, 6)
            .mapToObj((restart) -> backoff.delay(restart, new Random(1)).toMillis())
            .toList();
        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L);
    }

    @Test
    void jitterSpreadsTheDelayWithinItsFraction() {
        Backoff backoff = Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1), 2.0, 0.2);
        Random random = new Random(42);
        for (int i = 0; i < 1_000; i++) {
            assertThat(backoff.delay(1, random)).isBetween(Duration.ofMillis(800), Duration.ofMillis(1200));
        }
    }

    @Test
    void deciderTakesTheFirstMatchingRule() {
        Decider decider = Decider.builder()
            .on(UncheckedIOException.class, Directive.RESTART)
            .on(RuntimeException.class, Directive.RESUME)
            .otherwise(Directive.ESCALATE);
        assertThat(decider.decide(new UncheckedIOException(new IOException("disk")))).isEqualTo(Directive.RESTART);
        assertThat(decider.decide(new IllegalStateException())).isEqualTo(Directive.RESUME);
        assertThat(decider.decide(new IOException())).isEqualTo(Directive.ESCALATE);
    }

    @Test
    void defaultsRestartExceptionsAndEscalateErrors() {
        SupervisorStrategy defaults = SupervisorStrategy.defaults();
        assertThat(defaults.scope()).isEqualTo(SupervisorStrategy.Scope.ONE_FOR_ONE);
        assertThat(defaults.decider().decide(new IllegalStateException())).isEqualTo(Directive.RESTART);
        assertThat(defaults.decider().decide(new AssertionError())).isEqualTo(Directive.ESCALATE);
        assertThat(defaults.maxRestarts()).isEqualTo(10);
        assertThat(defaults.window()).isEqualTo(Duration.ofMinutes(1));
    }
}
