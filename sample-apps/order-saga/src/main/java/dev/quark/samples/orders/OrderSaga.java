package dev.quark.samples.orders;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.TaskName;
import dev.quark.samples.orders.OrderActivities.ChargePayment;
import dev.quark.samples.orders.OrderActivities.RefundPayment;
import dev.quark.samples.orders.OrderActivities.ReleaseStock;
import dev.quark.samples.orders.OrderActivities.ReserveStock;
import dev.quark.samples.orders.OrderActivities.ShipOrder;
import dev.quark.samples.orders.PaymentGateway.Payment;
import dev.quark.samples.orders.Warehouse.Reservation;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.context.annotation.Scope;
import org.springframework.stereotype.Component;

/**
 * The order saga: reserve stock, wait for an approval when the order is large, charge the card, ship. Every step
 * that succeeded pushes its compensation; when a later step fails, the approval is refused or does not come in
 * time, or a client cancels the order, the compensations run in reverse order (refund, then release the stock).
 * <p>
 * A new instance runs every step (prototype scope) and replays the history to where it was, so its fields are
 * rebuilt on every step; the query {@code stage} reads one of them.
 */
@Component
@Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
@TaskName("order")
public class OrderSaga implements Orchestration<PlacedOrder, OrderResult> {

    private final Deque<Runnable> compensations = new ArrayDeque<>();

    private String stage = "placed";

    @Override
    public OrderResult run(OrchestrationContext ctx, PlacedOrder placed) {
        Order order = placed.order();
        ctx.setQueryHandler("stage", () -> this.stage);
        stage(ctx, "reserving stock");
        Reservation reservation;
        try {
            reservation = ctx.callActivity(ReserveStock.class, order).await();
        }
        catch (TaskFailedException ex) {
            return end(ctx, order, "REJECTED", ex.getFailure().message(), null);
        }
        this.compensations.push(() -> ctx.callActivity(ReleaseStock.class, reservation).await());
        try {
            if (placed.needsApproval()) {
                stage(ctx, "awaiting approval");
                Approval approval = ctx.waitForExternalEvent("approval", Approval.class, placed.approvalTimeout())
                    .await();
                if (!approval.approved()) {
                    compensate(ctx);
                    return end(ctx, order, "REJECTED", "not approved by " + approval.by(), null);
                }
            }
            stage(ctx, "charging");
            Payment payment = ctx.callActivity(ChargePayment.class, order, OrderActivities.CHARGE_OPTIONS).await();
            this.compensations.push(() -> ctx.callActivity(RefundPayment.class, payment).await());
            stage(ctx, "shipping");
            String tracking = ctx.callActivity(ShipOrder.class, order).await();
            return end(ctx, order, "SHIPPED", "shipped to " + order.address(), tracking);
        }
        catch (TaskFailedException ex) {
            compensate(ctx);
            return end(ctx, order, "CANCELLED", ex.getTaskName() + " failed: " + ex.getFailure().message(), null);
        }
        catch (EventTimeoutException ex) {
            compensate(ctx);
            return end(ctx, order, "CANCELLED", "no approval within " + placed.approvalTimeout(), null);
        }
        catch (OrchestrationCancelledException ex) {
            compensate(ctx);
            return end(ctx, order, "CANCELLED", "cancelled: " + ex.getMessage(), null);
        }
    }

    private void compensate(OrchestrationContext ctx) {
        stage(ctx, "compensating");
        while (!this.compensations.isEmpty()) {
            this.compensations.pop().run();
        }
    }

    private OrderResult end(OrchestrationContext ctx, Order order, String outcome, String detail,
            @Nullable String tracking) {
        stage(ctx, outcome.toLowerCase(Locale.ROOT));
        return new OrderResult(order.id(), outcome, detail, tracking);
    }

    private void stage(OrchestrationContext ctx, String stage) {
        this.stage = stage;
        ctx.setCustomStatus(stage);
    }
}
