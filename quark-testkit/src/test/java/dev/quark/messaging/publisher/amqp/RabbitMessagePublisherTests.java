package dev.quark.messaging.publisher.amqp;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.runtime.DefaultOutbox;
import dev.quark.messaging.runtime.MessageCodec;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.memory.InMemoryOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

@Timeout(60)
class RabbitMessagePublisherTests {

    private CachingConnectionFactory connections;

    private RabbitAdmin admin;

    private RabbitTemplate template;

    private String queue;

    @BeforeEach
    void declareQueue() {
        this.connections = RabbitTestBroker.connectionFactory(true);
        this.admin = new RabbitAdmin(this.connections);
        this.template = new RabbitTemplate(this.connections);
        this.queue = "quark-test-outbox-" + UUID.randomUUID();
        this.admin.declareQueue(new Queue(this.queue, false, false, false));
    }

    @AfterEach
    void deleteQueue() {
        if (this.admin != null) {
            this.admin.deleteQueue(this.queue);
        }
        if (this.connections != null) {
            this.connections.destroy();
        }
    }

    @Test
    void aConfirmedMessageArrivesWithItsIdPayloadAndHeaders() throws Exception {
        RabbitMessagePublisher publisher = new RabbitMessagePublisher("orders", this.template, "", this.queue,
                Duration.ofSeconds(10));
        OutboxMessage message = new OutboxMessage(MessageId.next(Clock.systemUTC()), "orders", "order-1",
                "com.example.OrderPlaced", "{\"order\":1}", Map.of("tenant", "acme"), Instant.now(), 1);
        publisher.publish(message);
        Message received = this.template.receive(this.queue, 10_000);
        assertThat(received).isNotNull();
        assertThat(new String(received.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"order\":1}");
        assertThat(received.getMessageProperties().getMessageId()).isEqualTo(message.id().toString());
        assertThat(received.getMessageProperties().getContentType()).isEqualTo("application/json");
        assertThat((String) received.getMessageProperties().getHeader("tenant")).isEqualTo("acme");
        assertThat((String) received.getMessageProperties().getHeader("quark-key")).isEqualTo("order-1");
        assertThat((String) received.getMessageProperties().getHeader("quark-payload-type"))
            .isEqualTo("com.example.OrderPlaced");
    }

    @Test
    void anUnroutableMessageFailsTheDeliveryNamingTheRoutingKey() {
        RabbitMessagePublisher publisher = new RabbitMessagePublisher("orders", this.template, "",
                this.queue + "-missing", Duration.ofSeconds(10));
        OutboxMessage message = new OutboxMessage(MessageId.next(Clock.systemUTC()), "orders", "k", "T", "{}",
                Map.of(), Instant.now(), 1);
        assertThatExceptionOfType(AmqpException.class).isThrownBy(() -> publisher.publish(message))
            .withMessageContaining("returned message " + message.id())
            .withMessageContaining("routing key '" + this.queue + "-missing'");
    }

    @Test
    void aConnectionFactoryWithoutConfirmsIsRefusedNamingTheProperties() {
        CachingConnectionFactory plain = RabbitTestBroker.connectionFactory(false);
        try {
            assertThatIllegalStateException()
                .isThrownBy(() -> new RabbitMessagePublisher("orders", new RabbitTemplate(plain), "", null,
                        Duration.ofSeconds(1)))
                .withMessageContaining("spring.rabbitmq.publisher-confirm-type=correlated");
        }
        finally {
            plain.destroy();
        }
    }

    @Test
    void theDispatcherDeliversEnqueuedMessagesToTheQueueInKeyOrder() {
        InMemoryOutboxStore store = new InMemoryOutboxStore();
        Destinations destinations = new Destinations(
                List.of(new RabbitMessagePublisher("orders", this.template, "", this.queue, Duration.ofSeconds(10))));
        Partitioner partitioner = new Partitioner(4);
        DefaultOutbox outbox = new DefaultOutbox(store, destinations, new MessageCodec(JsonMapper.shared()),
                partitioner, Clock.systemUTC());
        for (int i = 0; i < 5; i++) {
            outbox.enqueue("orders", "order-1", Map.of("n", i));
        }
        try (OutboxDispatcher dispatcher = OutboxDispatcher
            .builder(store, new InMemoryLeaseStore(Clock.systemUTC()), destinations)
            .partitioner(partitioner)
            .build()) {
            assertThat(dispatcher.runOnce()).isEqualTo(5);
        }
        assertThat(store.count(MessageStatus.DELIVERED)).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            Message received = this.template.receive(this.queue, 10_000);
            assertThat(received).isNotNull();
            assertThat(new String(received.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":" + i + "}");
        }
    }
}
