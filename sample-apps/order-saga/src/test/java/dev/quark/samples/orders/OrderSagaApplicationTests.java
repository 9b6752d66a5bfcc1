package dev.quark.samples.orders;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import dev.quark.durabletasks.DurableTaskClient;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrderSagaApplicationTests {

    @LocalServerPort
    private int port;

    @Autowired
    private Warehouse warehouse;

    @Autowired
    private PaymentGateway payments;

    @Autowired
    private Carrier carrier;

    @Autowired
    private DurableTaskClient tasks;

    private OrderSagaClient client;

    @BeforeEach
    void client() {
        this.client = new OrderSagaClient(this.port);
    }

    @Test
    void aSmallOrderIsReservedChargedAndShipped() {
        Order order = order("lamp-small", 2, 5_000, "address");
        assertThat(this.client.place(order).getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        Map<String, Object> result = this.client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "SHIPPED").containsEntry("detail", "shipped to address");
        assertThat(result.get("trackingNumber")).asString().startsWith("TRK-");
        assertThat(this.warehouse.available(order.item())).isEqualTo(98);
        assertThat(this.payments.chargedTo(order.card())).isEqualTo(5_000);
        assertThat(this.client.get(order.id()).getBody()).containsEntry("stage", "shipped");
    }

    @Test
    void aLargeOrderWaitsForItsApprovalThenShips() {
        Order order = order("tv-large", 1, 250_000, "address");
        this.client.place(order);
        this.client.awaitStage(order.id(), "awaiting approval");
        assertThat(this.tasks.query("order-" + order.id(), "stage", null, String.class))
            .as("the saga answers from its fields").isEqualTo("awaiting approval");
        assertThat(this.payments.chargedTo(order.card())).as("not charged before the approval").isZero();
        this.client.post("/orders/" + order.id() + "/approval", new Approval(true, "ann"));
        assertThat(this.client.awaitResult(order.id())).containsEntry("outcome", "SHIPPED");
        assertThat(this.payments.chargedTo(order.card())).isEqualTo(250_000);
    }

    @Test
    void aRefusedApprovalReleasesTheStockAndChargesNothing() {
        Order order = order("tv-refused", 3, 250_000, "address");
        this.client.place(order);
        this.client.awaitStage(order.id(), "awaiting approval");
        assertThat(this.warehouse.available(order.item())).isEqualTo(97);
        this.client.post("/orders/" + order.id() + "/approval", new Approval(false, "bob"));
        assertThat(this.client.awaitResult(order.id())).containsEntry("outcome", "REJECTED")
            .containsEntry("detail", "not approved by bob");
        assertThat(this.warehouse.available(order.item())).isEqualTo(100);
        assertThat(this.payments.chargedTo(order.card())).isZero();
    }

    @Test
    void aDeclinedCardReleasesTheStock() {
        Order order = new Order(newId(), "book-declined", 1, 2_000, PaymentGateway.DECLINED_CARD, "address");
        this.client.place(order);
        Map<String, Object> result = this.client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "CANCELLED");
        assertThat(result.get("detail")).asString().contains("card 4000-declined was declined");
        assertThat(this.warehouse.available(order.item())).isEqualTo(100);
    }

    @Test
    void aShipmentThatFailsIsRefundedAndItsStockReleased() {
        Order order = order("chair-nowhere", 4, 8_000, "nowhere");
        this.client.place(order);
        Map<String, Object> result = this.client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "CANCELLED");
        assertThat(result.get("detail")).asString().contains("no carrier delivers to 'nowhere'");
        assertThat(this.payments.chargedTo(order.card())).as("refunded").isZero();
        assertThat(this.warehouse.available(order.item())).isEqualTo(100);
    }

    @Test
    void anOrderCancelledWhileItWaitsForItsApprovalIsCompensated() {
        Order order = order("desk-cancelled", 1, 300_000, "address");
        this.client.place(order);
        this.client.awaitStage(order.id(), "awaiting approval");
        assertThat(this.client.post("/orders/" + order.id() + "/cancel", Map.of()).getStatusCode())
            .isEqualTo(HttpStatus.ACCEPTED);
        Map<String, Object> result = this.client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "CANCELLED");
        assertThat(result.get("detail")).asString().contains("cancelled by the customer");
        assertThat(this.warehouse.available(order.item())).isEqualTo(100);
    }

    @Test
    void anOrderCancelledWhileItsCardIsChargedIsRefundedAndNotShipped() {
        Order order = order("bike-charging", 1, 50_000, "address");
        this.payments.hold(order.card());
        try {
            this.client.place(order);
            this.client.awaitStage(order.id(), "charging");
            this.client.post("/orders/" + order.id() + "/cancel", Map.of());
            Map<String, Object> result = this.client.awaitResult(order.id());
            assertThat(result).containsEntry("outcome", "CANCELLED");
        }
        finally {
            this.payments.release(order.card());
        }
        await("the late charge").atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(this.payments.chargedTo(order.card())).isZero());
        assertThat(this.warehouse.available(order.item())).isEqualTo(100);
        assertThat(this.carrier.ships(OrderActivities.shipmentKey(order))).isFalse();
    }

    @Test
    void anOrderOfAnItemOutOfStockIsRejectedWithoutACharge() {
        Order order = order("sold-out-console", 1, 30_000, "address");
        this.client.place(order);
        Map<String, Object> result = this.client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "REJECTED");
        assertThat(result.get("detail")).asString().contains("sold-out-console: 0 left, 1 ordered");
        assertThat(this.payments.chargedTo(order.card())).isZero();
    }

    @Test
    void badOrdersAreRefusedAndAnOrderIsPlacedOnce() {
        var bad = this.client.place(new Order(newId(), "book", 0, 100, "card", "address"));
        assertThat(bad.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(bad.getBody()).containsEntry("detail", "quantity must be positive, was 0");
        var badId = this.client.place(new Order("no spaces", "book", 1, 100, "card", "address"));
        assertThat(badId.getBody()).containsEntry("detail",
                "id must be 1 to 64 letters, digits or '-', was 'no spaces'");
        Order order = order("book-twice", 1, 1_000, "address");
        this.client.place(order);
        var again = this.client.place(order);
        assertThat(again.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        this.client.awaitResult(order.id());
        assertThat(this.payments.chargedTo(order.card())).isEqualTo(1_000);
        assertThat(this.client.get("nobody").getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
    }

    private static Order order(String item, int quantity, long amount, String address) {
        String id = newId();
        return new Order(id, item, quantity, amount, "card-" + id, address);
    }

    private static String newId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
