package dev.quark.samples.orders;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * A toy carrier: ships once per key and cannot ship to {@code nowhere}; a cancelled key ships nothing afterwards.
 * It confirms a shipment it has made after {@code orders.shipping-time} (at once by default).
 */
@Component
public class Carrier {

    private final Map<String, String> shipments = new HashMap<>();

    private final Set<String> cancelled = new HashSet<>();

    private final Duration shippingTime;

    private final EffectJournal journal;

    /**
     * Creates the carrier.
     * @param properties how long it takes to confirm a shipment
     * @param journal where it writes down each shipment it makes and calls off
     */
    public Carrier(OrderProperties properties, EffectJournal journal) {
        this.shippingTime = properties.shippingTime();
        this.journal = journal;
    }

    /**
     * Ships an order, once per key, and confirms it after the shipping time.
     * @param key the shipment's idempotency key
     * @param address where to
     * @return the tracking number
     * @throws UndeliverableException for the address {@code nowhere}
     * @throws IllegalStateException when interrupted before it confirmed the shipment
     */
    public String ship(String key, String address) {
        String tracking = shipNow(key, address);
        if (this.shippingTime.isPositive()) {
            try {
                Thread.sleep(this.shippingTime);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted before shipment " + key + " was confirmed", ex);
            }
        }
        return tracking;
    }

    private synchronized String shipNow(String key, String address) {
        if (this.cancelled.contains(key)) {
            throw new UndeliverableException("shipment " + key + " was cancelled before it was made");
        }
        if ("nowhere".equals(address)) {
            throw new UndeliverableException("no carrier delivers to '" + address + "'");
        }
        String existing = this.shipments.get(key);
        if (existing != null) {
            return existing;
        }
        String tracking = "TRK-" + (this.shipments.size() + 1);
        this.shipments.put(key, tracking);
        this.journal.record("shipped", key);
        return tracking;
    }

    /**
     * Cancels a shipment, once, and voids its key.
     * @param key the shipment's idempotency key
     */
    public synchronized void cancel(String key) {
        this.cancelled.add(key);
        if (this.shipments.remove(key) != null) {
            this.journal.record("cancelled", key);
        }
    }

    /**
     * Returns whether a shipment was made and not cancelled.
     * @param key the shipment's idempotency key
     * @return whether it ships
     */
    public synchronized boolean ships(String key) {
        return this.shipments.containsKey(key);
    }

    /**
     * The address cannot be delivered to.
     */
    public static class UndeliverableException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        UndeliverableException(String message) {
            super(message);
        }
    }
}
