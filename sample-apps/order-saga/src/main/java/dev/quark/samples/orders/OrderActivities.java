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
 * The saga's activities: each one step against a service, idempotent through a key made of the order's id. A step
 * and its compensation share the key, and a compensation voids it, so the compensation can be registered (and run)
 * before its step: a step still running when the order was cancelled then does nothing.
 */
final class OrderActivities {

    /** Charging is retried (a provider's hiccup), except when the card is declined. */
    static final ActivityOptions CHARGE_OPTIONS = ActivityOptions.DEFAULTS
        .withRetry(RetryOptions.of(3, Duration.ofSeconds(1)).withDoNotRetry(CardDeclinedException.class));

    /** Compensations must happen: retried for longer. */
    static final ActivityOptions COMPENSATION_OPTIONS = ActivityOptions.retry(10, Duration.ofSeconds(1));

    private OrderActivities() {
    }

    static String stockKey(Order order) {
        return "stock-" + order.id();
    }

    static String paymentKey(Order order) {
        return "payment-" + order.id();
    }

    static String shipmentKey(Order order) {
        return "shipment-" + order.id();
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
            return this.warehouse.reserve(stockKey(order), order.item(), order.quantity());
        }
    }

    /** Puts the order's units back: the compensation of {@link ReserveStock}. */
    @Component
    static class ReleaseStock implements Activity<Order, @Nullable Void> {

        private final Warehouse warehouse;

        ReleaseStock(Warehouse warehouse) {
            this.warehouse = warehouse;
        }

        @Override
        public @Nullable Void execute(ActivityContext ctx, Order order) {
            this.warehouse.release(stockKey(order));
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
            return this.gateway.charge(paymentKey(order), order.card(), order.amount());
        }
    }

    /** Refunds the charge: the compensation of {@link ChargePayment}. */
    @Component
    static class RefundPayment implements Activity<Order, @Nullable Void> {

        private final PaymentGateway gateway;

        RefundPayment(PaymentGateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public @Nullable Void execute(ActivityContext ctx, Order order) {
            this.gateway.refund(paymentKey(order));
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
            return this.carrier.ship(shipmentKey(order), order.address());
        }
    }

    /** Calls the shipment off: the compensation of {@link ShipOrder}. */
    @Component
    static class CancelShipment implements Activity<Order, @Nullable Void> {

        private final Carrier carrier;

        CancelShipment(Carrier carrier) {
            this.carrier = carrier;
        }

        @Override
        public @Nullable Void execute(ActivityContext ctx, Order order) {
            this.carrier.cancel(shipmentKey(order));
            return null;
        }
    }
}
