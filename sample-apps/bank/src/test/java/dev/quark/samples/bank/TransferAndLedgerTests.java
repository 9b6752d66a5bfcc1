package dev.quark.samples.bank;

import java.time.Duration;
import java.util.Map;

import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.Snapshot;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transfers and ledgers through the REST API, with the outbox dispatcher delivering in the background: the tests
 * wait (bounded) for what the outbox delivers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "quark.messaging.poll-interval=20ms")
class TransferAndLedgerTests {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    private static final Duration DELIVERY = Duration.ofSeconds(10);

    @LocalServerPort
    private int port;

    @Autowired
    private ActorRuntime runtime;

    @Autowired
    private EventStore eventStore;

    @Autowired
    private OutboxStore outbox;

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
    void aTransferMovesTheMoneyAndBothLedgersShowIt() {
        post("/accounts/t-alice/deposit?amount=100");
        post("/accounts/t-bob/deposit?amount=5");
        ResponseEntity<Map<String, Object>> transfer = postEntity("/accounts/t-alice/transfer?to=t-bob&amount=30");
        assertThat(transfer.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(transfer.getBody()).containsEntry("from", "t-alice").containsEntry("to", "t-bob")
            .containsEntry("amount", 30).containsEntry("balance", 70).containsKey("id");

        await().atMost(DELIVERY).untilAsserted(() -> assertThat(get("/accounts/t-bob")).containsEntry("balance", 35));
        assertThat(get("/accounts/t-alice")).containsEntry("balance", 70);
        await().atMost(DELIVERY).untilAsserted(() -> assertThat(ledger("t-bob")).containsEntry("version", 2)
            .containsEntry("state", Map.of("balance", 35, "lastEntry", 2, "totalIn", 35, "totalOut", 0, "transfers", 1)));
        await().atMost(DELIVERY).untilAsserted(() -> assertThat(ledger("t-alice")).containsEntry("version", 2)
            .containsEntry("state", Map.of("balance", 70, "lastEntry", 2, "totalIn", 100, "totalOut", 30, "transfers", 1)));
    }

    @Test
    void aTransferBeyondTheBalanceIsRefusedAndMovesNothingAndPublishesNothing() {
        post("/accounts/t-carol/deposit?amount=10");
        post("/accounts/t-dan/deposit?amount=1");
        await().atMost(DELIVERY).until(() -> this.outbox.count(MessageStatus.PENDING) == 0);

        ResponseEntity<Map<String, Object>> refused = postEntity("/accounts/t-carol/transfer?to=t-dan&amount=11");

        assertThat(refused.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(refused.getBody()).containsEntry("detail", "Account t-carol holds 10, cannot withdraw 11");
        assertThat(this.outbox.count(MessageStatus.PENDING)).as("no message enqueued").isZero();
        assertThat(get("/accounts/t-carol")).containsEntry("balance", 10);
        assertThat(get("/accounts/t-dan")).containsEntry("balance", 1);
        assertThat(ledger("t-carol")).containsEntry("version", 1);
        assertThat(ledger("t-dan")).containsEntry("version", 1);
    }

    @Test
    void aTransferNamingAnUnknownAccountIsNotFoundAndMovesNothing() {
        post("/accounts/t-erin/deposit?amount=10");
        ResponseEntity<Map<String, Object>> toUnknown = postEntity("/accounts/t-erin/transfer?to=t-nobody&amount=5");
        assertThat(toUnknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(toUnknown.getBody()).containsEntry("detail", "Account t-nobody does not exist");
        assertThat(get("/accounts/t-erin")).containsEntry("balance", 10);

        ResponseEntity<Map<String, Object>> fromUnknown = postEntity("/accounts/t-nobody/transfer?to=t-erin&amount=5");
        assertThat(fromUnknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(fromUnknown.getBody()).containsEntry("detail", "Account t-nobody does not exist");

        ResponseEntity<Map<String, Object>> ledger = getEntity("/accounts/t-nobody/ledger");
        assertThat(ledger.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(ledger.getBody()).containsEntry("detail", "Account t-nobody does not exist");
    }

    @Test
    void aTransferOfANegativeAmountOrToItselfIsABadRequest() {
        post("/accounts/t-fay/deposit?amount=10");
        post("/accounts/t-gus/deposit?amount=10");
        ResponseEntity<Map<String, Object>> negative = postEntity("/accounts/t-fay/transfer?to=t-gus&amount=-5");
        assertThat(negative.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(negative.getBody()).containsEntry("detail", "amount must be positive, was -5");

        ResponseEntity<Map<String, Object>> itself = postEntity("/accounts/t-fay/transfer?to=t-fay&amount=5");
        assertThat(itself.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(itself.getBody()).containsEntry("detail", "cannot transfer from account t-fay to itself");
        assertThat(get("/accounts/t-fay")).containsEntry("balance", 10);
        assertThat(get("/accounts/t-gus")).containsEntry("balance", 10);
    }

    @Test
    void theLedgerAnswersAsOfAVersion() {
        post("/accounts/t-hal/deposit?amount=10");
        post("/accounts/t-hal/deposit?amount=20");
        post("/accounts/t-hal/withdraw?amount=5");
        await().atMost(DELIVERY).untilAsserted(() -> assertThat(ledger("t-hal")).containsEntry("version", 3));

        assertThat(get("/accounts/t-hal/ledger?version=2")).containsEntry("account", "t-hal")
            .containsEntry("version", 2)
            .containsEntry("latestVersion", 3)
            .containsEntry("state", Map.of("balance", 30, "lastEntry", 2, "totalIn", 30, "totalOut", 0, "transfers", 0));
        assertThat(get("/accounts/t-hal/ledger?version=0")).containsEntry("state",
                Map.of("balance", 0, "lastEntry", 0, "totalIn", 0, "totalOut", 0, "transfers", 0));
        assertThat(get("/accounts/t-hal/ledger?version=3")).containsEntry("state",
                Map.of("balance", 25, "lastEntry", 3, "totalIn", 30, "totalOut", 5, "transfers", 0));

        ResponseEntity<Map<String, Object>> beyond = getEntity("/accounts/t-hal/ledger?version=4");
        assertThat(beyond.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(beyond.getBody()).containsEntry("detail",
                "version must be between 0 and 3 (the ledger of t-hal), was 4");
        ResponseEntity<Map<String, Object>> negative = getEntity("/accounts/t-hal/ledger?version=-1");
        assertThat(negative.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(negative.getBody()).containsEntry("detail",
                "version must be between 0 and 3 (the ledger of t-hal), was -1");
    }

    @Test
    void aLedgerRebuiltAfterDeactivationEqualsTheOneBeforeAndStartsFromItsSnapshot() {
        for (int i = 1; i <= 12; i++) {
            post("/accounts/t-ida/deposit?amount=" + i);
        }
        await().atMost(DELIVERY).untilAsserted(() -> assertThat(ledger("t-ida")).containsEntry("version", 12));
        Map<String, Object> before = ledger("t-ida");

        assertThat(this.runtime.deactivate(Ledger.class, "t-ida")).isTrue();
        assertThat(this.runtime.isActive(Ledger.class, "t-ida")).isFalse();

        assertThat(ledger("t-ida")).isEqualTo(before).containsEntry("state",
                Map.of("balance", 78, "lastEntry", 12, "totalIn", 78, "totalOut", 0, "transfers", 0));
        assertThat(this.runtime.isActive(Ledger.class, "t-ida")).isTrue();
        assertThat(this.eventStore.loadSnapshot("Ledger/t-ida")).map(Snapshot::version)
            .as("a snapshot every %d events", LedgerActor.SNAPSHOT_EVERY)
            .contains(10L);
    }

    private Map<String, Object> ledger(String account) {
        return get("/accounts/" + account + "/ledger");
    }

    private Map<String, Object> post(String path) {
        ResponseEntity<Map<String, Object>> response = postEntity(path);
        assertThat(response.getStatusCode()).as("POST " + path).isEqualTo(HttpStatus.OK);
        return response.getBody();
    }

    private ResponseEntity<Map<String, Object>> postEntity(String path) {
        return this.http.post().uri(path).retrieve().toEntity(JSON);
    }

    private Map<String, Object> get(String path) {
        ResponseEntity<Map<String, Object>> response = getEntity(path);
        assertThat(response.getStatusCode()).as("GET " + path).isEqualTo(HttpStatus.OK);
        return response.getBody();
    }

    private ResponseEntity<Map<String, Object>> getEntity(String path) {
        return this.http.get().uri(path).retrieve().toEntity(JSON);
    }
}
