package dev.quark.samples.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cluster sample's HTTP API, as a client on the test's side sees it. Every request has a deadline: a
 * request that gets no answer by then is reported, never waited on longer.
 */
final class BankHttpClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(2))
        .version(HttpClient.Version.HTTP_1_1)
        .build();

    private final Duration deadline;

    /**
     * Creates a client.
     * @param deadline how long any request may take
     */
    BankHttpClient(Duration deadline) {
        this.deadline = deadline;
    }

    Reply deposit(SiloProcess silo, String account, long amount) {
        return send(silo, "POST", "/accounts/" + account + "/deposit?amount=" + amount);
    }

    Reply withdraw(SiloProcess silo, String account, long amount) {
        return send(silo, "POST", "/accounts/" + account + "/withdraw?amount=" + amount);
    }

    Reply transfer(SiloProcess silo, String from, String to, long amount) {
        return send(silo, "POST", "/accounts/" + from + "/transfer?to=" + to + "&amount=" + amount);
    }

    Reply ledger(SiloProcess silo, String account) {
        return send(silo, "GET", "/accounts/" + account + "/ledger");
    }

    Reply ledgers(SiloProcess silo, List<String> accounts) {
        return send(silo, "GET", "/bank/ledgers?accounts=" + String.join(",", accounts));
    }

    Reply outboxHealth(SiloProcess silo) {
        return send(silo, "GET", "/actuator/health/quarkOutbox");
    }

    Reply balance(SiloProcess silo, String account) {
        return send(silo, "GET", "/accounts/" + account);
    }

    Reply total(SiloProcess silo, List<String> accounts) {
        return send(silo, "GET", "/bank/total?accounts=" + String.join(",", accounts));
    }

    Reply silo(SiloProcess silo, List<String> accounts) {
        return send(silo, "GET", "/silo?accounts=" + String.join(",", accounts));
    }

    Reply startPulse(SiloProcess silo, String pulse, long periodMillis) {
        return send(silo, "POST", "/pulses/" + pulse + "?periodMillis=" + periodMillis);
    }

    Reply pulses(SiloProcess silo, List<String> pulses) {
        return send(silo, "GET", "/pulses?ids=" + String.join(",", pulses));
    }

    Reply siloPulses(SiloProcess silo, List<String> pulses) {
        return send(silo, "GET", "/silo/pulses?ids=" + String.join(",", pulses));
    }

    Reply remindPulseOnce(SiloProcess silo, String pulse, Instant dueAt) {
        return send(silo, "POST", "/pulses/" + pulse + "/once?dueAt=" + dueAt);
    }

    Reply clusterHealth(SiloProcess silo) {
        return send(silo, "GET", "/actuator/health/quarkCluster");
    }

    Reply clientHealth(SiloProcess client) {
        return send(client, "GET", "/actuator/health/quarkClusterClient");
    }

    private Reply send(SiloProcess silo, String method, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + silo.httpPort() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(this.deadline)
            .build();
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(silo.siloId(), response.statusCode(), parse(response.body()), null,
                    Duration.ofNanos(System.nanoTime() - started));
        }
        catch (IOException ex) {
            return new Reply(silo.siloId(), 0, null, ex, Duration.ofNanos(System.nanoTime() - started));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return new Reply(silo.siloId(), 0, null, ex, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static @Nullable JsonNode parse(String body) {
        if (body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        }
        catch (RuntimeException ex) {
            return JSON.createObjectNode().put("text", body);
        }
    }

    /**
     * The answer to one request.
     * @param siloId the silo asked
     * @param status the HTTP status, 0 when there was no answer
     * @param body the body, when there was one
     * @param failure why there was no answer (refused connection, deadline passed)
     * @param took how long the request took
     */
    record Reply(String siloId, int status, @Nullable JsonNode body, @Nullable Exception failure, Duration took) {

        boolean ok() {
            return this.status == 200;
        }

        long longField(String name) {
            if (!ok() || this.body == null || !this.body.has(name)) {
                throw new IllegalStateException("No " + name + " in " + this);
            }
            return this.body.get(name).asLong();
        }

        /**
         * Returns the Quark exception the sample names in its error answers ({@code exception}), if any.
         * @return the exception's class name, or {@code null}
         */
        @Nullable String exception() {
            return (this.body != null && this.body.has("exception")) ? this.body.get("exception").asString() : null;
        }

        @Override
        public String toString() {
            return this.siloId + " -> " + ((this.failure != null) ? this.failure.toString() : this.status + " " + this.body)
                    + " in " + this.took.toMillis() + " ms";
        }
    }
}
