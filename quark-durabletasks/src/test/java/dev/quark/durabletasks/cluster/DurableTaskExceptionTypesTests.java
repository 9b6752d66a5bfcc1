package dev.quark.durabletasks.cluster;

import java.time.Duration;
import java.util.List;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.durabletasks.DurableTaskException;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.UnknownActivityException;
import dev.quark.durabletasks.UnknownOrchestrationException;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exceptions of quark-durabletasks cross silos through the payload codec as themselves, with message and
 * fields ({@link DurableTaskExceptionTypes}, found by the codec through {@code META-INF/services}).
 */
class DurableTaskExceptionTypesTests {

    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
            List.of());

    @AfterEach
    void close() {
        this.runtime.close();
    }

    @Test
    void aMissingInstanceCrossesWithItsId() {
        OrchestrationNotFoundException thrown = new OrchestrationNotFoundException("order-7", "raise an event");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(OrchestrationNotFoundException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("order-7");
        });
    }

    @Test
    void aWrongStateCrossesWithInstanceAndStatus() {
        OrchestrationStateException thrown = new OrchestrationStateException("order-7", OrchestrationStatus.COMPLETED,
                "suspend", "cannot be suspended");
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(OrchestrationStateException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.getInstanceId()).isEqualTo("order-7");
            assertThat(rebuilt.getStatus()).isEqualTo(OrchestrationStatus.COMPLETED);
        });
    }

    @Test
    void unknownNamesAndEventTimeoutsCrossWithTheName() {
        assertThat(roundTrip(new UnknownActivityException("charge", List.of("ship"))))
            .isInstanceOfSatisfying(UnknownActivityException.class,
                    (rebuilt) -> assertThat(rebuilt.getName()).isEqualTo("charge"));
        assertThat(roundTrip(new UnknownOrchestrationException("order", List.of())))
            .isInstanceOfSatisfying(UnknownOrchestrationException.class,
                    (rebuilt) -> assertThat(rebuilt.getName()).isEqualTo("order"));
        EventTimeoutException timeout = new EventTimeoutException("approved", Duration.ofMinutes(5));
        assertThat(roundTrip(timeout)).isInstanceOfSatisfying(EventTimeoutException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(timeout.getMessage());
            assertThat(rebuilt.getEventName()).isEqualTo("approved");
        });
    }

    @Test
    void exceptionsWithoutFieldsOfTheirOwnCrossWithTheirMessage() {
        List<RuntimeException> thrown = List.of(new OrchestrationCancelledException("order", "order-7", "by ops"),
                new OrchestrationAlreadyExistsException("order-7", "order", "refund"),
                new DurableTaskException("history unreadable", new IllegalStateException("bad row")));
        for (RuntimeException failure : thrown) {
            assertThat(roundTrip(failure)).isExactlyInstanceOf(failure.getClass()).hasMessage(failure.getMessage());
        }
    }

    private Throwable roundTrip(Throwable failure) {
        return this.codec.decodeFailure(this.codec.encodeFailure(failure));
    }
}
