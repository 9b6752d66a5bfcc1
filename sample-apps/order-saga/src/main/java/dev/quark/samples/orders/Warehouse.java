package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

/**
 * A toy warehouse: every item starts with 100 units, except items named {@code sold-out...}, which have none.
 * Reservations are idempotent by key, as an activity that may run twice needs.
 */
@Component
public class Warehouse {

    private static final int INITIAL_STOCK = 100;

    private final Map<String, Integer> stock = new HashMap<>();

    private final Map<String, Reservation> reservations = new HashMap<>();

    /**
     * Reserves units of an item, once per key.
     * @param key the reservation's idempotency key
     * @param item the item
     * @param quantity how many
     * @return the reservation
     * @throws OutOfStockException when fewer are left
     */
    public synchronized Reservation reserve(String key, String item, int quantity) {
        Reservation existing = this.reservations.get(key);
        if (existing != null) {
            return existing;
        }
        int left = available(item);
        if (left < quantity) {
            throw new OutOfStockException(item + ": " + left + " left, " + quantity + " ordered");
        }
        this.stock.put(item, left - quantity);
        Reservation reservation = new Reservation(key, item, quantity);
        this.reservations.put(key, reservation);
        return reservation;
    }

    /**
     * Puts a reservation's units back, once.
     * @param reservation the reservation
     */
    public synchronized void release(Reservation reservation) {
        if (this.reservations.remove(reservation.id()) != null) {
            this.stock.put(reservation.item(), available(reservation.item()) + reservation.quantity());
        }
    }

    /**
     * Returns how many units of an item are not reserved.
     * @param item the item
     * @return the units
     */
    public synchronized int available(String item) {
        return this.stock.getOrDefault(item, item.startsWith("sold-out") ? 0 : INITIAL_STOCK);
    }

    /**
     * Units of an item set aside for an order.
     *
     * @param id the reservation's idempotency key
     * @param item the item
     * @param quantity how many
     */
    public record Reservation(String id, String item, int quantity) {
    }

    /**
     * Not enough units are left.
     */
    public static class OutOfStockException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        OutOfStockException(String message) {
            super(message);
        }
    }
}
