package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * A toy warehouse: every item starts with 100 units, except items named {@code sold-out...}, which have none.
 * Reservations are idempotent by key, as an activity that may run twice needs, and a release voids its key: a
 * reservation that arrives after it (an attempt still running when the order was cancelled) reserves nothing.
 */
@Component
public class Warehouse {

    private static final int INITIAL_STOCK = 100;

    private final Map<String, Integer> stock = new HashMap<>();

    private final Map<String, Reservation> reservations = new HashMap<>();

    private final Set<String> voided = new HashSet<>();

    private final EffectJournal journal;

    /**
     * Creates the warehouse.
     * @param journal where it writes down each reservation and release it makes
     */
    public Warehouse(EffectJournal journal) {
        this.journal = journal;
    }

    /**
     * Reserves units of an item, once per key.
     * @param key the reservation's idempotency key
     * @param item the item
     * @param quantity how many
     * @return the reservation
     * @throws OutOfStockException when fewer are left
     * @throws IllegalStateException when the key was released before
     */
    public synchronized Reservation reserve(String key, String item, int quantity) {
        Reservation existing = this.reservations.get(key);
        if (existing != null) {
            return existing;
        }
        if (this.voided.contains(key)) {
            throw new IllegalStateException("reservation " + key + " was released before it was made");
        }
        int left = available(item);
        if (left < quantity) {
            throw new OutOfStockException(item + ": " + left + " left, " + quantity + " ordered");
        }
        this.stock.put(item, left - quantity);
        Reservation reservation = new Reservation(key, item, quantity);
        this.reservations.put(key, reservation);
        this.journal.record("reserved", key);
        return reservation;
    }

    /**
     * Puts a reservation's units back, once, and voids its key.
     * @param key the reservation's idempotency key
     */
    public synchronized void release(String key) {
        this.voided.add(key);
        Reservation reservation = this.reservations.remove(key);
        if (reservation != null) {
            this.stock.put(reservation.item(), available(reservation.item()) + reservation.quantity());
            this.journal.record("released", key);
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
