package dev.quark.messaging.publisher.amqp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

import org.junit.jupiter.api.Assumptions;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * The RabbitMQ broker the tests use: {@code QUARK_TEST_RABBITMQ_URL} (for instance
 * {@code amqp://guest:guest@127.0.0.1:5672}), else the machine's broker on 127.0.0.1:5672 with guest/guest. When it
 * does not answer, the tests are skipped, except with {@code CI=true}, where that is a failure.
 */
final class RabbitTestBroker {

    static final String DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

    private RabbitTestBroker() {
    }

    static URI uri() {
        String configured = System.getenv("QUARK_TEST_RABBITMQ_URL");
        URI uri = URI.create((configured != null && !configured.isBlank()) ? configured : DEFAULT_URL);
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

    static CachingConnectionFactory connectionFactory(boolean confirms) {
        CachingConnectionFactory factory = new CachingConnectionFactory(uri());
        if (confirms) {
            factory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
            factory.setPublisherReturns(true);
        }
        return factory;
    }
}
