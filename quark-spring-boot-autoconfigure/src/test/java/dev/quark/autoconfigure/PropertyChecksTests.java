package dev.quark.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class PropertyChecksTests {

    private final PropertyChecks checks = new PropertyChecks("quark.jobs");

    @Test
    void aDurationThatIsNotPositiveIsRefusedNamingTheFullPropertyAndItsValue() {
        for (Duration value : new Duration[] { Duration.ZERO, Duration.ofMillis(-5) }) {
            assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
                .isThrownBy(() -> this.checks.positive("poll-interval", value))
                .satisfies((ex) -> {
                    assertThat(ex.getName()).isEqualTo("quark.jobs.poll-interval");
                    assertThat(ex.getValue()).isEqualTo(value);
                    assertThat(ex.getReason()).isEqualTo("must be positive");
                });
        }
        assertThatCode(() -> this.checks.positive("poll-interval", Duration.ofNanos(1))).doesNotThrowAnyException();
    }

    @Test
    void aCountBelowOneIsRefused() {
        assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
            .isThrownBy(() -> this.checks.positive("workers", 0))
            .withMessageContaining("quark.jobs.workers")
            .withMessageContaining("must be positive");
        assertThatCode(() -> this.checks.positive("workers", 1)).doesNotThrowAnyException();
    }

    @Test
    void invalidNamesThePropertyUnderThePrefix() {
        InvalidConfigurationPropertyValueException ex = this.checks.invalid("retry.jitter", 2.0, "must be between 0 and 1");
        assertThat(ex.getName()).isEqualTo("quark.jobs.retry.jitter");
        assertThat(ex.getValue()).isEqualTo(2.0);
    }
}
