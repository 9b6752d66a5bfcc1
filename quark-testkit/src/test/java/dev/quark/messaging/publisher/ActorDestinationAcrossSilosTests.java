package dev.quark.messaging.publisher;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.cluster.placement.HashPlacementDirector;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.cluster.TestCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The actor destination delivers to an actor hosted on another silo: the {@link OutboxMessage} crosses the silos'
 * payload codec whole, its id and destination travel in the turn's metadata, and the remote actor's refusal fails the
 * delivery.
 */
class ActorDestinationAcrossSilosTests {

    static final List<Received> received = new CopyOnWriteArrayList<>();

    private static TestCluster cluster;

    private static String remoteKey;

    @BeforeAll
    static void start() {
        cluster = TestCluster.builder().silos(2)
            .runtime((siloId, builder) -> builder.actor(LedgerActor.class, () -> new LedgerActor(siloId)))
            .build();
        remoteKey = keyOwnedBy(1, "order-");
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @BeforeEach
    void clear() {
        received.clear();
    }

    @Test
    void aMessageDeliveredToAnActorOnAnotherSiloArrivesWhole() {
        ActorMessagePublisher publisher = new ActorMessagePublisher("ledger", cluster.silo(0), Ledger.class);
        OutboxMessage message = new OutboxMessage(MessageId.next(Clock.systemUTC()), "ledger", remoteKey,
                "com.example.Credit", "{\"amount\":12.50,\"note\":\"é ✓\"}", Map.of("tenant", "acme", "trace", "t-1"),
                Instant.now().truncatedTo(ChronoUnit.MICROS), 3);

        publisher.publish(message);

        assertThat(received).singleElement().satisfies((delivery) -> {
            assertThat(delivery.silo()).as("hosted on the other silo").isEqualTo(cluster.silo(1).siloId());
            assertThat(delivery.message()).isEqualTo(message);
            assertThat(delivery.messageId()).isEqualTo(message.id().toString());
            assertThat(delivery.destination()).isEqualTo("ledger");
        });
    }

    @Test
    void aRefusalOnTheOtherSiloFailsTheDelivery() {
        String poison = keyOwnedBy(1, "poison-");
        ActorMessagePublisher publisher = new ActorMessagePublisher("ledger", cluster.silo(0), Ledger.class);
        OutboxMessage message = new OutboxMessage(MessageId.next(Clock.systemUTC()), "ledger", poison, "T", "\"x\"",
                Map.of(), Instant.now(), 1);

        assertThatIllegalStateException().isThrownBy(() -> publisher.publish(message))
            .withMessageContaining(poison + " refused");
        assertThat(received).isEmpty();
    }

    private static String keyOwnedBy(int silo, String prefix) {
        HashPlacementDirector placement = new HashPlacementDirector();
        return IntStream.range(0, 10_000)
            .mapToObj((i) -> prefix + i)
            .filter((key) -> placement.ownerOf(new ActorAddress("Ledger", key), cluster.silo(0).routing().view())
                .equals(cluster.silo(silo).siloId()))
            .findFirst()
            .orElseThrow();
    }

    record Received(String silo, OutboxMessage message, String messageId, String destination) {
    }

    public interface Ledger extends OutboxReceiver {
    }

    @QuarkActor
    public static class LedgerActor extends AbstractActor implements Ledger {

        private final String silo;

        LedgerActor(String silo) {
            this.silo = silo;
        }

        @Override
        public void receive(OutboxMessage message) {
            if (message.key().startsWith("poison-")) {
                throw new IllegalStateException(message.key() + " refused");
            }
            received.add(new Received(this.silo, message, context().metadata().get(OutboxReceiver.MESSAGE_ID),
                    context().metadata().get(OutboxReceiver.DESTINATION)));
        }
    }
}
