package dev.quark.samples.orders;

import org.jspecify.annotations.Nullable;

/**
 * An order as a customer places it.
 *
 * @param id the order's id, which names its durable task ({@code order-<id>})
 * @param item what is ordered
 * @param quantity how many
 * @param amount the price in cents
 * @param card the card to charge ({@code 4000-declined} is declined)
 * @param address where to ship ({@code nowhere} cannot be shipped to)
 */
public record Order(String id, String item, int quantity, long amount, String card, String address) {

    /**
     * Returns why the order cannot be placed.
     * @return the problem, or {@code null} when the order is well formed
     */
    public @Nullable String problem() {
        if (this.id == null || !this.id.matches("[A-Za-z0-9-]{1,64}")) {
            return "id must be 1 to 64 letters, digits or '-', was '" + this.id + "'";
        }
        if (this.quantity <= 0) {
            return "quantity must be positive, was " + this.quantity;
        }
        if (this.amount <= 0) {
            return "amount must be positive, was " + this.amount;
        }
        if (this.item == null || this.item.isBlank() || this.card == null || this.address == null) {
            return "item, card and address are required";
        }
        return null;
    }
}
