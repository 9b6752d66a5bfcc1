package dev.quark.samples.bank.probe;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import dev.quark.messaging.MessageId;
import dev.quark.messaging.Outbox;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * The outbox probe's refusals, without a broker or a database: bad properties name themselves and their values, and
 * the probe without a transaction manager stops the start saying which profile it needs.
 */
class OutboxProbeTests {

    private static final URI BROKER = URI.create("amqp://guest:guest@127.0.0.1:5672");

    @Test
    void aUrlOtherThanAmqpIsRefusedNamingTheProperty() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new OutboxProbeProperties(true, URI.create("http://user:secret@127.0.0.1:5672"), "q",
                    Duration.ofSeconds(1), Duration.ZERO))
            .withMessage("bank.outbox-probe.rabbitmq-url must be an amqp:// or amqps:// URL, was one of scheme 'http' "
                    + "(host '127.0.0.1')")
            .withMessageNotContaining("secret");
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
    void withoutATransactionManagerTheProbeEnqueuesAtOnceAndRefusesARollback() {
        Outbox outbox = mock(Outbox.class);
        given(outbox.enqueue(any(), any(), any())).willAnswer((invocation) -> new MessageId(UUID.randomUUID()));
        new ApplicationContextRunner().withPropertyValues("bank.outbox-probe.enabled=true")
            .withBean(Outbox.class, () -> outbox)
            .withUserConfiguration(OutboxProbeController.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                OutboxProbeController probe = context.getBean(OutboxProbeController.class);
                assertThatIllegalArgumentException().isThrownBy(() -> probe.transaction("k", 1, 2, true))
                    .withMessageContaining("rollback=true needs a transaction manager");
                verify(outbox, never()).enqueue(any(), any(), any());
                assertThat(probe.transaction("k", 1, 2, false).committed()).isTrue();
                verify(outbox, times(2)).enqueue(any(), any(), any());
            });
    }

    @Test
    void withSeveralTransactionTemplatesTheProbeStopsTheStartSayingSo() {
        new ApplicationContextRunner().withPropertyValues("bank.outbox-probe.enabled=true")
            .withBean(Outbox.class, () -> mock(Outbox.class))
            .withBean("one", TransactionTemplate.class, () -> new TransactionTemplate(mock(PlatformTransactionManager.class)))
            .withBean("two", TransactionTemplate.class, () -> new TransactionTemplate(mock(PlatformTransactionManager.class)))
            .withUserConfiguration(OutboxProbeController.class)
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("needs a single TransactionTemplate"));
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
