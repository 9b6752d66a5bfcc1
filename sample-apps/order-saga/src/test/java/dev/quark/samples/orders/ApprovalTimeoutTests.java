package dev.quark.samples.orders;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An approval that does not come in time cancels the order on a durable timer.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "orders.approval-timeout=1s")
class ApprovalTimeoutTests {

    @LocalServerPort
    private int port;

    @Autowired
    private Warehouse warehouse;

    @Test
    void anOrderWhoseApprovalDoesNotComeInTimeIsCancelledAndItsStockReleased() {
        OrderSagaClient client = new OrderSagaClient(this.port);
        Order order = new Order("late-approval", "piano", 1, 900_000, "card-late", "address");
        client.place(order);
        Map<String, Object> result = client.awaitResult(order.id());
        assertThat(result).containsEntry("outcome", "CANCELLED").containsEntry("detail", "no approval within PT1S");
        assertThat(this.warehouse.available("piano")).isEqualTo(100);
    }
}
