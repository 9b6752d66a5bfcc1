package dev.quark.samples.orders;

import java.time.Duration;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.ActivityOptions;
import dev.quark.durabletasks.RetryOptions;
import dev.quark.samples.orders.PaymentGateway.CardDeclinedException;
import dev.quark.samples.orders.PaymentGateway.Payment;
import dev.quark.samples.orders.Warehouse.Reservation;
import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

/**
 * The saga's activities: each one step against a service, idempotent through the call's idempotency key, which is
 * the same on every attempt.
 */
final class OrderActivities {

    /** Charging is retried (a provider's hiccup), except when the card is declined. */
    static final ActivityOptions CHARGE_OPTIONS = ActivityOptions.DEFAULTS
        .withRetry(RetryOptions.of(3, Duration.ofSeconds(1)).withDoNotRetry(CardDeclinedException.class));

    private OrderActivities() {
    }

    /** Reserves the order's units. */
    @Component
    static class ReserveStock implements Activity<Order, Reservation> {

        private final Warehouse warehouse;

        ReserveStock(Warehouse warehouse) {
            this.warehouse = warehouse;
        }

        @Override
        public Reservation execute(ActivityContext ctx, Order order) {
            return this.warehouse.reserve(ctx.idempotencyKey(), order.item(), order.quantity());
        }
    }

    /** Puts reserved units back: the compensation of {@link ReserveStock}. */
    @Component
    static class ReleaseStock implements Activity<Reservation, @Nullable Void> {

        private final Warehouse warehouse;

        ReleaseStock(Warehouse warehouse) {
            this.warehouse = warehouse;
        }

        @Override
        public @Nullable Void execute(ActivityContext ctx, Reservation reservation) {
            this.warehouse.release(reservation);
            return null;
        }
    }

    /** Charges the card. */
    @Component
    static class ChargePayment implements Activity<Order, Payment> {

        private final PaymentGateway gateway;

        ChargePayment(PaymentGateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public Payment execute(ActivityContext ctx, Order order) {
            return this.gateway.charge(ctx.idempotencyKey(), order.card(), order.amount());
        }
    }

    /** Refunds a charge: the compensation of {@link ChargePayment}. */
    @Component
    static class RefundPayment implements Activity<Payment, @Nullable Void> {

        private final PaymentGateway gateway;

        RefundPayment(PaymentGateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public @Nullable Void execute(ActivityContext ctx, Payment payment) {
            this.gateway.refund(payment);
            return null;
        }
    }

    /** Hands the order to the carrier. */
    @Component
    static class ShipOrder implements Activity<Order, String> {

        private final Carrier carrier;

        ShipOrder(Carrier carrier) {
            this.carrier = carrier;
        }

        @Override
        public String execute(ActivityContext ctx, Order order) {
            return this.carrier.ship(ctx.idempotencyKey(), order.address());
        }
    }
}
