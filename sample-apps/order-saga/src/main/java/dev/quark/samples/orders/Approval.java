package dev.quark.samples.orders;

/**
 * The answer to an order that waits for an approval: the external event {@code approval}.
 *
 * @param approved whether the order may go on
 * @param by who decided
 */
public record Approval(boolean approved, String by) {
}
