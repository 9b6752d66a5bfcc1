package dev.quark.samples.bank;

import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BankApplicationTests {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @LocalServerPort
    private int port;

    private RestClient http;

    @BeforeEach
    void client() {
        this.http = RestClient.builder()
            .baseUrl("http://127.0.0.1:" + this.port)
            .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {
            })
            .build();
    }

    @Test
    void depositsAndWithdrawalsChangeTheBalance() {
        assertThat(post("/accounts/alice/deposit?amount=100")).containsEntry("balance", 100);
        assertThat(post("/accounts/alice/withdraw?amount=30")).containsEntry("balance", 70);
        assertThat(get("/accounts/alice")).containsEntry("id", "alice").containsEntry("balance", 70);
        assertThat(get("/accounts/bob")).containsEntry("balance", 0);
    }

    @Test
    void overdraftIsRefusedWithConflictAndLeavesTheBalance() {
        post("/accounts/carol/deposit?amount=10");
        var response = this.http.post().uri("/accounts/carol/withdraw?amount=11").retrieve().toEntity(JSON);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(response.getBody()).containsEntry("detail", "Account carol holds 10, cannot withdraw 11");
        assertThat(get("/accounts/carol")).containsEntry("balance", 10);
    }

    @Test
    void negativeAmountIsABadRequest() {
        var response = this.http.post().uri("/accounts/dave/deposit?amount=-5").retrieve().toEntity(JSON);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(response.getBody()).containsEntry("detail", "amount must be positive, was -5");
    }

    @Test
    void healthShowsTheQuarkRuntimeAndItsStateStore() {
        post("/accounts/erin/deposit?amount=1");
        Map<String, Object> health = get("/actuator/health");
        assertThat(health).containsEntry("status", "UP");
        @SuppressWarnings("unchecked")
        Map<String, Object> quark = (Map<String, Object>) ((Map<String, Object>) health.get("components")).get("quark");
        assertThat(quark).containsEntry("status", "UP");
        assertThat(quark.get("details")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
            .containsKey("activations")
            .containsEntry("actorTypes", java.util.List.of("Account", "Ledger"));
        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) ((Map<String, Object>) health.get("components")).get("quarkState");
        assertThat(state).containsEntry("status", "UP");
        assertThat(state.get("components")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
            .containsOnlyKeys("default");
        @SuppressWarnings("unchecked")
        Map<String, Object> reminders = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
            .get("quarkReminders");
        assertThat(reminders).containsEntry("status", "UP");
        assertThat(reminders.get("details")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
            .containsEntry("table", "InMemoryReminderTable")
            .containsEntry("ownedBuckets", 1024)
            .containsKey("backlog");
    }

    @Test
    void callMetricsAreExposed() {
        post("/accounts/frank/deposit?amount=1");
        Map<String, Object> metric = get("/actuator/metrics/quark.actor.calls?tag=method:deposit&tag=outcome:success");
        assertThat(metric).containsEntry("name", "quark.actor.calls");
    }

    @Test
    void theDeadLettersEndpointListsAndResendsAndRefusesBadInputWithABadRequest() {
        assertThat(get("/actuator/quarkdeadletters")).containsEntry("deadLetters", java.util.List.of());
        var resent = this.http.post().uri("/actuator/quarkdeadletters").contentType(MediaType.APPLICATION_JSON)
            .body(Map.of("destination", "nowhere")).retrieve().toEntity(JSON);
        assertThat(resent.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(resent.getBody()).containsEntry("count", 0).containsEntry("resent", java.util.List.of());

        var neither = this.http.post().uri("/actuator/quarkdeadletters").contentType(MediaType.APPLICATION_JSON)
            .body(Map.of()).retrieve().toEntity(String.class);
        assertThat(neither.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        var tooMany = this.http.get().uri("/actuator/quarkdeadletters?limit=5000").retrieve().toEntity(String.class);
        assertThat(tooMany.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    }

    private Map<String, Object> post(String path) {
        return this.http.post().uri(path).retrieve().body(JSON);
    }

    private Map<String, Object> get(String path) {
        return this.http.get().uri(path).retrieve().body(JSON);
    }
}
