package dev.quark.samples.orders;

import org.jspecify.annotations.Nullable;

/**
 * How an order ended: the output of {@link OrderSaga}.
 *
 * @param orderId the order
 * @param outcome {@code SHIPPED}, {@code REJECTED} (no stock, or the approval refused) or {@code CANCELLED} (a step
 * failed, the approval timed out, or a client cancelled it); everything done before is undone unless shipped
 * @param detail why, in words
 * @param trackingNumber the shipment, when shipped
 */
public record OrderResult(String orderId, String outcome, String detail, @Nullable String trackingNumber) {
}
