/**
 * The order-saga sample: an order is a durable task that reserves stock, waits for an approval when it is large,
 * charges the card and ships, and undoes what it did when a step fails, the approval is refused or times out, or
 * the order is cancelled.
 */
@NullMarked
package dev.quark.samples.orders;

import org.jspecify.annotations.NullMarked;
