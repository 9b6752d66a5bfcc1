package dev.quark.samples.orders;

import java.time.Duration;

/**
 * The input of {@link OrderSaga}: the order with what the application decided when it was placed. Configuration is
 * read here, once, not in the orchestration, whose code must behave the same on every replay.
 *
 * @param order the order
 * @param needsApproval whether it waits for an approval before it is charged
 * @param approvalTimeout how long it waits for one
 */
public record PlacedOrder(Order order, boolean needsApproval, Duration approvalTimeout) {
}
