package dev.quark.samples.bank.probe;

import java.net.URI;
import java.time.Duration;

import dev.quark.messaging.Outbox;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.mockito.Mockito.mock;

/**
 * The outbox probe's refusals, without a broker or a database: bad properties name themselves and their values, and
 * the probe without a transaction manager stops the start saying which profile it needs.
 */
class OutboxProbeTests {

    private static final URI BROKER = URI.create("amqp://guest:guest@127.0.0.1:5672");

    @Test
    void aUrlOtherThanAmqpIsRefusedNamingTheProperty() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new OutboxProbeProperties(true, URI.create("http://127.0.0.1:5672"), "q",
                    Duration.ofSeconds(1), Duration.ZERO))
            .withMessage("bank.outbox-probe.rabbitmq-url must be an amqp:// or amqps:// URL, was "
                    + "'http://127.0.0.1:5672'");
    }

    @Test
    void aBlankQueueIsRefusedNamingTheProperty() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new OutboxProbeProperties(true, BROKER, " ", Duration.ofSeconds(1), Duration.ZERO))
            .withMessageContaining("bank.outbox-probe.queue")
            .withMessageContaining("' '");
    }

    @Test
    void aConfirmTimeoutThatIsNotPositiveIsRefusedNamingTheProperty() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new OutboxProbeProperties(true, BROKER, "q", Duration.ZERO, Duration.ZERO))
            .withMessage("bank.outbox-probe.confirm-timeout must be positive, was PT0S");
    }

    @Test
    void aDeliveryDelayLongerThanTheConfirmTimeoutIsRefusedNamingBoth() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new OutboxProbeProperties(true, BROKER, "q", Duration.ofSeconds(1), Duration.ofSeconds(2)))
            .withMessage("bank.outbox-probe.delivery-delay must be zero to the confirm timeout (PT1S), was PT2S");
    }

    @Test
    void withoutATransactionManagerTheProbeStopsTheStartNamingThePostgresProfile() {
        new ApplicationContextRunner().withPropertyValues("bank.outbox-probe.enabled=true")
            .withBean(Outbox.class, () -> mock(Outbox.class))
            .withUserConfiguration(OutboxProbeController.class)
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("run with the profiles postgres,outbox-probe"));
    }

    @Test
    void withoutTheEnabledPropertyThereIsNoProbe() {
        new ApplicationContextRunner().withBean(Outbox.class, () -> mock(Outbox.class))
            .withUserConfiguration(OutboxProbeController.class, OutboxProbeConfiguration.class)
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(OutboxProbeController.class)
                .doesNotHaveBean(OutboxProbeProperties.class));
    }
}
