package dev.quark.samples.bank.probe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The consumer's view of the probe's queue: a RabbitMQ queue of one test run, consumed from the moment it is
 * opened, every message recorded in the order the broker hands them over, duplicates included.
 * <p>
 * The broker is {@code QUARK_TEST_RABBITMQ_URL}, else 127.0.0.1:5672 with guest/guest (as the messaging tests);
 * when it does not answer the test is skipped, except with {@code CI=true}, where that is a failure.
 */
final class ProbeQueue implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String name;

    private final Connection connection;

    private final Channel channel;

    private final List<Received> received = new ArrayList<>();

    private ProbeQueue(String name, Connection connection, Channel channel) {
        this.name = name;
        this.connection = connection;
        this.channel = channel;
    }

    /**
     * Returns the broker the tests use.
     * @return its URL
     */
    static URI brokerUrl() {
        String configured = System.getenv("QUARK_TEST_RABBITMQ_URL");
        URI uri = URI.create((configured != null && !configured.isBlank()) ? configured
                : "amqp://guest:guest@127.0.0.1:5672");
        int port = (uri.getPort() > 0) ? uri.getPort() : 5672;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), 2000);
        }
        catch (IOException ex) {
            String problem = "RabbitMQ does not answer on " + uri.getHost() + ":" + port
                    + " (set QUARK_TEST_RABBITMQ_URL, or start it: rabbitmq-server -detached): " + ex.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(problem, ex);
            }
            Assumptions.abort(problem);
        }
        return uri;
    }

    /**
     * Declares the queue (durable, as the application declares it) and starts consuming it.
     * @param broker the broker
     * @param name the queue, of this run alone
     * @return the consumer
     * @throws Exception when the broker refuses
     */
    static ProbeQueue open(URI broker, String name) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(broker);
        Connection connection = factory.newConnection("OutboxCrashProcessTests");
        Channel channel = connection.createChannel();
        channel.queueDeclare(name, true, false, false, null);
        ProbeQueue queue = new ProbeQueue(name, connection, channel);
        channel.basicConsume(name, true, (tag, delivery) -> queue.record(delivery.getProperties().getMessageId(),
                JSON.readTree(delivery.getBody())), (tag) -> {
                });
        return queue;
    }

    private synchronized void record(String messageId, JsonNode body) {
        this.received.add(new Received(messageId, body.path("key").asString(), body.path("sequence").asLong(),
                body.path("transaction").asString()));
    }

    /**
     * Returns what was received so far, in the order received.
     * @return a copy
     */
    synchronized List<Received> received() {
        return List.copyOf(this.received);
    }

    String name() {
        return this.name;
    }

    /** Deletes the queue and disconnects. */
    @Override
    public void close() throws IOException, TimeoutException {
        try {
            this.channel.queueDelete(this.name);
        }
        finally {
            this.connection.close();
        }
    }

    /**
     * One message as the consumer received it.
     * @param messageId the outbox message id (AMQP {@code message-id})
     * @param key the message key
     * @param sequence its number among the messages of its key
     * @param transaction the transaction that enqueued it
     */
    record Received(String messageId, String key, long sequence, String transaction) {
    }
}
