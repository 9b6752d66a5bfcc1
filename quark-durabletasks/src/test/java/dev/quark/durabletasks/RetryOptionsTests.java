package dev.quark.durabletasks;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RetryOptionsTests {

    @Test
    void waitsGrowByTheCoefficientUpToTheLongestWait() {
        RetryOptions retry = RetryOptions.of(10, Duration.ofSeconds(1)).withBackoff(3, Duration.ofSeconds(20));
        assertThat(List.of(2, 3, 4, 5, 6)).map(retry::delayBefore)
            .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(9), Duration.ofSeconds(20),
                    Duration.ofSeconds(20));
    }

    @Test
    void hugeExponentsStayAtTheLongestWait() {
        RetryOptions retry = RetryOptions.of(Integer.MAX_VALUE, Duration.ofMillis(1)).withBackoff(10, Duration.ofHours(1));
        assertThat(retry.delayBefore(Integer.MAX_VALUE)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void failuresNamedNotToRetryAndTheirSubclassesAreNotRetried() {
        RetryOptions retry = RetryOptions.of(3, Duration.ofSeconds(1)).withDoNotRetry(IllegalArgumentException.class);
        assertThat(retry.doNotRetry()).containsExactly("java.lang.IllegalArgumentException");
        assertThat(retry.isRetryable(new IllegalArgumentException())).isFalse();
        assertThat(retry.isRetryable(new NumberFormatException())).isFalse();
        assertThat(retry.isRetryable(new IllegalStateException())).isTrue();
    }

    @Test
    void badValuesAreRefusedNamingThem() {
        assertThatIllegalArgumentException().isThrownBy(() -> RetryOptions.of(0, Duration.ZERO))
            .withMessage("maxAttempts must be at least 1, was 0");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetryOptions.of(2, Duration.ofSeconds(1)).withBackoff(0.5, Duration.ofSeconds(1)))
            .withMessage("backoffCoefficient must be at least 1, was 0.5");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetryOptions.of(2, Duration.ofSeconds(10)).withBackoff(2, Duration.ofSeconds(1)))
            .withMessage("maxDelay PT1S must not be shorter than firstDelay PT10S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> ActivityOptions.DEFAULTS.withStartToCloseTimeout(Duration.ZERO))
            .withMessage("startToCloseTimeout must be positive, was PT0S");
    }
}
