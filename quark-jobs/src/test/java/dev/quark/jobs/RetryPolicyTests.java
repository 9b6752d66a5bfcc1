package dev.quark.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RetryPolicyTests {

    private static final RandomGenerator NO_JITTER = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public double nextDouble() {
            return 0.5;
        }
    };

    @Test
    void defaultsAreFiveAttemptsFromTenSecondsDoublingUpToAnHour() {
        RetryPolicy policy = RetryPolicy.defaults();
        assertThat(policy.maxAttempts()).isEqualTo(5);
        assertThat(policy.initialBackoff()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.multiplier()).isEqualTo(2.0);
        assertThat(policy.maxBackoff()).isEqualTo(Duration.ofHours(1));
        assertThat(policy.jitter()).isEqualTo(0.2);
    }

    @Test
    void backoffGrowsExponentiallyUpToTheMaximum() {
        RetryPolicy policy = RetryPolicy.builder()
            .backoff(Duration.ofSeconds(1), 3.0, Duration.ofSeconds(20))
            .jitter(0.5)
            .build();
        assertThat(policy.backoff(1, NO_JITTER)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.backoff(2, NO_JITTER)).isEqualTo(Duration.ofSeconds(3));
        assertThat(policy.backoff(3, NO_JITTER)).isEqualTo(Duration.ofSeconds(9));
        assertThat(policy.backoff(4, NO_JITTER)).isEqualTo(Duration.ofSeconds(20));
        assertThat(policy.backoff(400, NO_JITTER)).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void jitterSpreadsBackoffsBothWaysWithinItsShare() {
        RetryPolicy policy = RetryPolicy.builder().fixedBackoff(Duration.ofSeconds(10)).jitter(0.2).build();
        SplittableRandom random = new SplittableRandom(42);
        long shorter = 0;
        long longer = 0;
        for (int i = 0; i < 1000; i++) {
            Duration backoff = policy.backoff(1, random);
            assertThat(backoff).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
            shorter += backoff.compareTo(Duration.ofSeconds(10)) < 0 ? 1 : 0;
            longer += backoff.compareTo(Duration.ofSeconds(10)) > 0 ? 1 : 0;
        }
        assertThat(shorter).isGreaterThan(300);
        assertThat(longer).isGreaterThan(300);
    }

    @Test
    void retriesWhileAttemptsRemainAndTheFailureIsRetryable() {
        RetryPolicy policy = RetryPolicy.builder().maxAttempts(3).build();
        assertThat(policy.shouldRetry(new IllegalStateException(), 1)).isTrue();
        assertThat(policy.shouldRetry(new IllegalStateException(), 2)).isTrue();
        assertThat(policy.shouldRetry(new IllegalStateException(), 3)).isFalse();
        assertThat(RetryPolicy.noRetries().shouldRetry(new IllegalStateException(), 1)).isFalse();
    }

    @Test
    void retryOnAndAbortOnChooseTheRetryableFailuresWithTheirSubclasses() {
        RetryPolicy policy = RetryPolicy.builder()
            .retryOn(IOException.class, UncheckedIOException.class)
            .abortOn(java.io.FileNotFoundException.class)
            .build();
        assertThat(policy.isRetryable(new IOException())).isTrue();
        assertThat(policy.isRetryable(new java.net.SocketTimeoutException())).isTrue();
        assertThat(policy.isRetryable(new java.io.FileNotFoundException())).isFalse();
        assertThat(policy.isRetryable(new IllegalStateException())).isFalse();
    }

    @Test
    void nonRetryableAndPayloadFailuresAreNeverRetried() {
        RetryPolicy policy = RetryPolicy.builder().maxAttempts(10).retryOn(RuntimeException.class).build();
        assertThat(policy.isRetryable(new NonRetryableJobException("refused"))).isFalse();
        assertThat(policy.isRetryable(new JobPayloadException("unreadable", new RuntimeException()))).isFalse();
    }

    @Test
    void invalidSettingsAreRefusedNamingTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
            .withMessage("maxAttempts must be at least 1, was 0");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofSeconds(-1), 2, Duration.ofSeconds(1)))
            .withMessage("The initial backoff must not be negative, was PT-1S");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
            .withMessage("The backoff multiplier must be at least 1, was 0.5");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofSeconds(10), 2, Duration.ofSeconds(1)))
            .withMessageContaining("PT1S must not be shorter than the initial backoff PT10S");
        assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().jitter(1.5))
            .withMessage("The jitter must be between 0 and 1, was 1.5");
    }

    @Test
    void aBuilderFromAPolicyBuildsAnEqualPolicy() {
        RetryPolicy policy = RetryPolicy.builder().maxAttempts(7).retryOn(IOException.class).build();
        assertThat(policy.toBuilder().build()).isEqualTo(policy).hasSameHashCodeAs(policy);
        assertThat(policy.toString()).contains("7 attempts", "retry on [java.io.IOException]");
    }
}
