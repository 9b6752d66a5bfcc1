package dev.quark.autoconfigure.messaging;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.runtime.DeadLetters;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The {@code quarkdeadletters} actuator endpoint: registered once exposed, it lists the outbox's dead letters and
 * resends them, one by id or a destination's all; bad input is refused naming it, and resends nothing.
 */
class OutboxDeadLettersEndpointTests {

    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    private static final FencingToken TOKEN = new FencingToken(1);

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkMessagingAutoConfiguration.class,
                QuarkMessagingEndpointAutoConfiguration.class))
        .withPropertyValues("quark.messaging.poll-interval=1h");

    private final InMemoryOutboxStore store = new InMemoryOutboxStore();

    private final OutboxDeadLettersEndpoint endpoint = new OutboxDeadLettersEndpoint(new DeadLetters(this.store));

    @Test
    void theEndpointIsRegisteredOnceExposed() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(OutboxDeadLettersEndpoint.class));
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=quarkdeadletters")
            .run((context) -> assertThat(context).hasSingleBean(OutboxDeadLettersEndpoint.class));
        this.contextRunner
            .withPropertyValues("management.endpoints.web.exposure.include=quarkdeadletters",
                    "management.endpoint.quarkdeadletters.access=NONE")
            .run((context) -> assertThat(context).doesNotHaveBean(OutboxDeadLettersEndpoint.class));
    }

    @Test
    void aReadListsTheDeadLettersOldestFirstWithoutTheirPayloads() {
        MessageId first = deadLetter("orders", "order-1", "java.io.IOException: broker down");
        MessageId second = deadLetter("invoices", "invoice-7", "boom");
        append("orders", "order-2");

        OutboxDeadLettersEndpoint.DeadLettersDescriptor read = this.endpoint.deadLetters(null);

        assertThat(read.deadLetters()).extracting(OutboxDeadLettersEndpoint.DeadLetter::id)
            .containsExactly(first.value().toString(), second.value().toString());
        OutboxDeadLettersEndpoint.DeadLetter letter = read.deadLetters().getFirst();
        assertThat(letter.destination()).isEqualTo("orders");
        assertThat(letter.key()).isEqualTo("order-1");
        assertThat(letter.payloadType()).isEqualTo("com.example.OrderPlaced");
        assertThat(letter.lastError()).isEqualTo("java.io.IOException: broker down");
        assertThat(letter.deadAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(this.endpoint.deadLetters(1).deadLetters()).hasSize(1);
    }

    @Test
    void aWriteResendsOneDeadLetterByIdOrEveryDeadLetterOfADestination() {
        MessageId one = deadLetter("orders", "order-1", "down");
        MessageId two = deadLetter("orders", "order-2", "down");
        MessageId other = deadLetter("invoices", "invoice-7", "down");

        assertThat(this.endpoint.resend(other.value().toString().toUpperCase(Locale.ROOT), null).resent())
            .containsExactly(other.value().toString());
        assertThat(this.store.find(other).orElseThrow().status()).isEqualTo(MessageStatus.PENDING);
        OutboxDeadLettersEndpoint.ResentDescriptor all = this.endpoint.resend(null, "orders");
        assertThat(all.count()).isEqualTo(2);
        assertThat(all.resent()).containsExactly(one.value().toString(), two.value().toString());
        assertThat(this.store.count(MessageStatus.DEAD)).isZero();
        assertThat(this.endpoint.resend(one.value().toString(), null)).as("no longer a dead letter")
            .isEqualTo(new OutboxDeadLettersEndpoint.ResentDescriptor(0, List.of()));
    }

    @Test
    void badInputIsRefusedNamingItAndResendsNothing() {
        MessageId dead = deadLetter("orders", "order-1", "down");

        assertThatExceptionOfType(InvalidEndpointRequestException.class).isThrownBy(() -> this.endpoint.resend(null, null))
            .withMessage("Give either the id of a dead letter or a destination to resend, not neither");
        assertThatExceptionOfType(InvalidEndpointRequestException.class).isThrownBy(() -> this.endpoint.resend(dead.value().toString(), "orders"))
            .withMessageContaining("not both (id '" + dead.value() + "', destination 'orders')");
        assertThatExceptionOfType(InvalidEndpointRequestException.class).isThrownBy(() -> this.endpoint.resend("order-1", null))
            .withMessage("Dead letter id 'order-1' is not a message id (a UUID)");
        assertThatExceptionOfType(InvalidEndpointRequestException.class).isThrownBy(() -> this.endpoint.deadLetters(0))
            .withMessage("limit must be 1 to 1000, was 0");
        assertThatExceptionOfType(InvalidEndpointRequestException.class).isThrownBy(() -> this.endpoint.deadLetters(1_001))
            .withMessage("limit must be 1 to 1000, was 1001");
        assertThat(this.store.find(dead).orElseThrow().status()).as("still dead").isEqualTo(MessageStatus.DEAD);
    }

    private MessageId deadLetter(String destination, String key, String error) {
        MessageId id = append(destination, key);
        assertThat(this.store.stamp(0, TOKEN)).isTrue();
        assertThat(this.store.markDead(this.store.find(id).orElseThrow(), TOKEN, NOW.plusSeconds(1), error)).isTrue();
        return id;
    }

    private MessageId append(String destination, String key) {
        MessageId id = new MessageId(UUID.randomUUID());
        this.store.append(new NewMessage(id, destination, key, 0, "com.example.OrderPlaced", "{}", Map.of(), NOW));
        return id;
    }
}
