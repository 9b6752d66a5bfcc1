package dev.quark.messaging.cluster;

import java.util.List;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.jackson.JacksonPayloadCodec;
import dev.quark.messaging.MessageSerializationException;
import dev.quark.messaging.UnknownDestinationException;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exceptions of quark-messaging cross silos through the payload codec as themselves, with message and
 * fields ({@link MessagingExceptionTypes}, found by the codec through {@code META-INF/services}).
 */
class MessagingExceptionTypesTests {

    private final ActorRuntime runtime = ActorRuntime.builder().build();

    private final PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime,
            List.of());

    @AfterEach
    void close() {
        this.runtime.close();
    }

    @Test
    void anUnknownDestinationCrossesWithTheDestination() {
        UnknownDestinationException thrown = new UnknownDestinationException("billing", List.of("mail"));
        assertThat(roundTrip(thrown)).isInstanceOfSatisfying(UnknownDestinationException.class, (rebuilt) -> {
            assertThat(rebuilt).hasMessage(thrown.getMessage());
            assertThat(rebuilt.destination()).isEqualTo("billing");
        });
    }

    @Test
    void aSerializationFailureCrossesWithMessageAndCause() {
        MessageSerializationException thrown = new MessageSerializationException("cannot write Order",
                new IllegalArgumentException("cycle"));
        assertThat(roundTrip(thrown)).isExactlyInstanceOf(MessageSerializationException.class)
            .hasMessage("cannot write Order")
            .cause()
            .isExactlyInstanceOf(IllegalArgumentException.class)
            .hasMessage("cycle");
    }

    private Throwable roundTrip(Throwable failure) {
        return this.codec.decodeFailure(this.codec.encodeFailure(failure));
    }
}
