package dev.quark.samples.jobs;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

import static org.awaitility.Awaitility.await;

/**
 * Drives the sample's REST API in tests, in-process and against node processes; errors are answers, not
 * exceptions.
 */
final class JobsClient {

    private final RestClient http;

    private final String name;

    JobsClient(String name, int port, Duration requestTimeout) {
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory();
        requests.setReadTimeout(requestTimeout);
        this.name = name;
        this.http = RestClient.builder()
            .baseUrl("http://127.0.0.1:" + port)
            .requestFactory(requests)
            .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
            })
            .build();
    }

    Reply get(String path, Object... variables) {
        return reply(this.http.get().uri(path, variables).retrieve().toEntity(JsonNode.class));
    }

    Reply post(String path, @Nullable Object body, Object... variables) {
        RestClient.RequestBodySpec request = this.http.post().uri(path, variables);
        if (body != null) {
            request.body(body);
        }
        return reply(request.retrieve().toEntity(JsonNode.class));
    }

    Reply put(String path, Object... variables) {
        return reply(this.http.put().uri(path, variables).retrieve().toEntity(JsonNode.class));
    }

    Reply delete(String path, Object... variables) {
        return reply(this.http.delete().uri(path, variables).retrieve().toEntity(JsonNode.class));
    }

    /** Enqueues a job and returns the answer. */
    Reply enqueue(String type, Object payload) {
        return post("/jobs", new Enqueue(type, payload, null));
    }

    /** Waits until a job has a status, and returns it as then shown. */
    JsonNode awaitJob(String id, String status, Duration timeout) {
        return awaitJob(id, timeout, (job) -> status.equals(job.path("status").asString()), "status " + status);
    }

    /** Waits until a job matches, and returns it as then shown. */
    JsonNode awaitJob(String id, Duration timeout, Predicate<JsonNode> condition, String what) {
        JsonNode[] last = { MissingNode.getInstance() };
        await(this.name + ": job " + id + " " + what).atMost(timeout)
            .pollInterval(Duration.ofMillis(50))
            .until(() -> {
                Reply job = get("/jobs/{id}", id);
                last[0] = job.body();
                return job.status() == 200 && condition.test(job.body());
            });
        return last[0];
    }

    /** Waits until a workflow has a status, and returns it as then shown. */
    JsonNode awaitWorkflow(String id, String status, Duration timeout) {
        JsonNode[] last = { MissingNode.getInstance() };
        await(this.name + ": workflow " + id + " " + status).atMost(timeout)
            .pollInterval(Duration.ofMillis(50))
            .until(() -> {
                Reply workflow = get("/workflows/{id}", id);
                last[0] = workflow.body();
                return status.equals(workflow.body().path("status").asString());
            });
        return last[0];
    }

    @Override
    public String toString() {
        return this.name;
    }

    private static Reply reply(ResponseEntity<JsonNode> response) {
        JsonNode body = response.getBody();
        return new Reply(response.getStatusCode().value(), (body != null) ? body : MissingNode.getInstance());
    }

    /**
     * A job to enqueue, as the API takes it.
     *
     * @param type the type
     * @param payload the payload
     * @param idempotencyKey the key, or none
     */
    record Enqueue(String type, @Nullable Object payload, @Nullable String idempotencyKey) {
    }

    /**
     * An answer.
     *
     * @param status the HTTP status
     * @param body the JSON body, or a missing node
     */
    record Reply(int status, JsonNode body) {

        String detail() {
            return this.body.path("detail").asString();
        }

        String id() {
            return this.body.path("id").asString();
        }

        List<String> jobIds() {
            return this.body.path("jobs").valueStream().map((job) -> job.path("id").asString()).toList();
        }
    }
}
