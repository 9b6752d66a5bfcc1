package dev.quark.samples.bank;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * {@code bank.receivers.delay-after-apply}: bound from the environment, zero by default, from zero to five seconds;
 * a value out of bounds or unreadable stops the start naming the property and the value.
 */
class ReceiverDelayTests {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
        .withUserConfiguration(WithReceiverDelay.class);

    @Test
    void withoutThePropertyReceiversAnswerAtOnce() {
        this.context.run((started) -> assertThat(started.getBean(ReceiverDelay.class).delayAfterApply()).isZero());
    }

    @Test
    void theDelayIsBoundFromTheProperty() {
        this.context.withPropertyValues("bank.receivers.delay-after-apply=50ms")
            .run((started) -> assertThat(started.getBean(ReceiverDelay.class).delayAfterApply())
                .isEqualTo(Duration.ofMillis(50)));
    }

    @Test
    void zeroAndFiveSecondsAreTheBounds() {
        assertThat(new ReceiverDelay(Duration.ZERO).delayAfterApply()).isZero();
        assertThat(new ReceiverDelay(Duration.ofSeconds(5)).delayAfterApply()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aDelayAboveFiveSecondsIsRefusedNamingTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ReceiverDelay(Duration.ofMillis(5001)))
            .withMessage("bank.receivers.delay-after-apply must be between 0ms and 5000ms, was 5001ms");
    }

    @Test
    void aNegativeDelayIsRefusedNamingTheValue() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ReceiverDelay(Duration.ofMillis(-1)))
            .withMessage("bank.receivers.delay-after-apply must be between 0ms and 5000ms, was -1ms");
    }

    @Test
    void aMissingDelayIsRefusedNamingTheProperty() {
        assertThatIllegalArgumentException().isThrownBy(() -> new ReceiverDelay(null))
            .withMessage("bank.receivers.delay-after-apply must be set (0ms for no wait)");
    }

    @Test
    void aDelayOutOfBoundsInThePropertiesStopsTheStartNamingIt() {
        this.context.withPropertyValues("bank.receivers.delay-after-apply=1m")
            .run((started) -> assertThat(started).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessage("bank.receivers.delay-after-apply must be between 0ms and 5000ms, was 60000ms"));
    }

    @Test
    void anUnreadableDelayStopsTheStartNamingTheProperty() {
        this.context.withPropertyValues("bank.receivers.delay-after-apply=soon")
            .run((started) -> assertThat(started).hasFailed()
                .getFailure()
                .cause()
                .hasMessageContaining("Failed to bind properties under 'bank.receivers.delay-after-apply'"));
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(ReceiverDelay.class)
    static class WithReceiverDelay {
    }
}
