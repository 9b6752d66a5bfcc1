package dev.quark.samples.orders;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.EventTimeoutException;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationCancelledException;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.TaskFailedException;
import dev.quark.durabletasks.TaskName;
import dev.quark.samples.orders.OrderActivities.CancelShipment;
import dev.quark.samples.orders.OrderActivities.ChargePayment;
import dev.quark.samples.orders.OrderActivities.RefundPayment;
import dev.quark.samples.orders.OrderActivities.ReleaseStock;
import dev.quark.samples.orders.OrderActivities.ReserveStock;
import dev.quark.samples.orders.OrderActivities.ShipOrder;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.context.annotation.Scope;
import org.springframework.stereotype.Component;

/**
 * The order saga: reserve stock, wait for an approval when the order is large, charge the card, ship.
 * <p>
 * Each step registers its compensation <em>before</em> it starts: a cancellation fails the task the code waits for
 * at once, while the activity may still be running and finish later, so a compensation registered only after its
 * step returned would never run. Steps and their compensations share a key that a compensation voids, so a
 * compensation that runs first makes the late step a no-op. When a step fails, the approval is refused or does not
 * come in time, or a client cancels the order, the compensations run in reverse order (cancel the shipment, refund,
 * release the stock), each with retries and on its own: one that fails is reported and the others still run.
 * <p>
 * A new instance runs every step (prototype scope) and replays the history to where it was, so its fields are
 * rebuilt on every step; the query {@code stage} reads one of them.
 */
@Component
@Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
@TaskName("order")
public class OrderSaga implements Orchestration<PlacedOrder, OrderResult> {

    private final Deque<Class<? extends Activity<Order, @Nullable Void>>> compensations = new ArrayDeque<>();

    private String stage = "placed";

    @Override
    public OrderResult run(OrchestrationContext ctx, PlacedOrder placed) {
        Order order = placed.order();
        ctx.setQueryHandler("stage", () -> this.stage);
        try {
            stage(ctx, "reserving stock");
            this.compensations.push(ReleaseStock.class);
            try {
                ctx.callActivity(ReserveStock.class, order).await();
            }
            catch (TaskFailedException ex) {
                return undo(ctx, order, "REJECTED", ex.getFailure().message());
            }
            if (placed.needsApproval()) {
                stage(ctx, "awaiting approval");
                Approval approval = ctx.waitForExternalEvent("approval", Approval.class, placed.approvalTimeout())
                    .await();
                if (!approval.approved()) {
                    return undo(ctx, order, "REJECTED", "not approved by " + approval.by());
                }
            }
            stage(ctx, "charging");
            this.compensations.push(RefundPayment.class);
            ctx.callActivity(ChargePayment.class, order, OrderActivities.CHARGE_OPTIONS).await();
            stage(ctx, "shipping");
            this.compensations.push(CancelShipment.class);
            String tracking = ctx.callActivity(ShipOrder.class, order).await();
            return end(ctx, order, "SHIPPED", "shipped to " + order.address(), tracking);
        }
        catch (TaskFailedException ex) {
            return undo(ctx, order, "CANCELLED", ex.getTaskName() + " failed: " + ex.getFailure().message());
        }
        catch (EventTimeoutException ex) {
            return undo(ctx, order, "CANCELLED", "no approval within " + placed.approvalTimeout());
        }
        catch (OrchestrationCancelledException ex) {
            return undo(ctx, order, "CANCELLED", "cancelled: " + ex.getMessage());
        }
    }

    /**
     * Runs the compensations registered so far, last first, each with retries and on its own, and ends the order.
     */
    private OrderResult undo(OrchestrationContext ctx, Order order, String outcome, String detail) {
        stage(ctx, "compensating");
        List<String> failures = new ArrayList<>();
        while (!this.compensations.isEmpty()) {
            Class<? extends Activity<Order, @Nullable Void>> compensation = this.compensations.pop();
            String name = compensation.getSimpleName();
            try {
                runCompensation(ctx, compensation, order);
            }
            catch (TaskFailedException ex) {
                failures.add(name + " failed: " + ex.getFailure().message());
            }
        }
        String reported = failures.isEmpty() ? detail : detail + "; compensations that failed: " + failures;
        return end(ctx, order, outcome, reported, null);
    }

    /**
     * Runs one compensation. A cancellation that arrives while it runs fails the task the code waits for, not the
     * activity, so the compensation is called once more (its key makes that harmless).
     */
    private static void runCompensation(OrchestrationContext ctx,
            Class<? extends Activity<Order, @Nullable Void>> compensation, Order order) {
        try {
            ctx.callActivity(compensation, order, OrderActivities.COMPENSATION_OPTIONS).await();
        }
        catch (OrchestrationCancelledException ex) {
            ctx.callActivity(compensation, order, OrderActivities.COMPENSATION_OPTIONS).await();
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
