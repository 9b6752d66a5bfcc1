package dev.quark.samples.orders;

import java.time.Duration;
import java.util.Map;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

import static org.awaitility.Awaitility.await;

/**
 * Drives the sample's REST API in tests.
 */
final class OrderSagaClient {

    static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private final RestClient http;

    OrderSagaClient(int port) {
        this(RestClient.builder(), port);
    }

    /**
     * Creates a client whose every request ends within a timeout, for applications in other JVMs.
     * @param port the application's port on 127.0.0.1
     * @param timeout how long connecting, and then reading an answer, may take each
     */
    OrderSagaClient(int port, Duration timeout) {
        this(RestClient.builder().requestFactory(requestFactory(timeout)), port);
    }

    private OrderSagaClient(RestClient.Builder builder, int port) {
        this.http = builder
            .baseUrl("http://127.0.0.1:" + port)
            .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
            })
            .build();
    }

    private static SimpleClientHttpRequestFactory requestFactory(Duration timeout) {
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setConnectTimeout(timeout);
        factory.setReadTimeout(timeout);
        return factory;
    }

    ResponseEntity<Map<String, Object>> place(Order order) {
        return this.http.post().uri("/orders").body(order).retrieve().toEntity(JSON);
    }

    ResponseEntity<Map<String, Object>> post(String path, Object body) {
        return this.http.post().uri(path).body(body).retrieve().toEntity(JSON);
    }

    ResponseEntity<Map<String, Object>> read(String path) {
        return this.http.get().uri(path).retrieve().toEntity(JSON);
    }

    ResponseEntity<Map<String, Object>> get(String orderId) {
        return this.http.get().uri("/orders/{id}", orderId).retrieve().toEntity(JSON);
    }

    /** Waits until the order's saga reaches a stage (its custom status). */
    void awaitStage(String orderId, String stage) {
        await("order " + orderId + " " + stage).atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> stage.equals(get(orderId).getBody().get("stage")));
    }

    /** Waits until the order's saga has ended and returns its result. */
    @SuppressWarnings("unchecked")
    Map<String, Object> awaitResult(String orderId) {
        await("order " + orderId + " ended").atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> "COMPLETED".equals(get(orderId).getBody().get("status")));
        return (Map<String, Object>) get(orderId).getBody().get("result");
    }
}
