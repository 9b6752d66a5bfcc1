package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * A toy carrier: ships once per key and cannot ship to {@code nowhere}; a cancelled key ships nothing afterwards.
 */
@Component
public class Carrier {

    private final Map<String, String> shipments = new HashMap<>();

    private final Set<String> cancelled = new HashSet<>();

    /**
     * Ships an order, once per key.
     * @param key the shipment's idempotency key
     * @param address where to
     * @return the tracking number
     * @throws UndeliverableException for the address {@code nowhere}
     */
    public synchronized String ship(String key, String address) {
        if (this.cancelled.contains(key)) {
            throw new UndeliverableException("shipment " + key + " was cancelled before it was made");
        }
        if ("nowhere".equals(address)) {
            throw new UndeliverableException("no carrier delivers to '" + address + "'");
        }
        return this.shipments.computeIfAbsent(key, (ignored) -> "TRK-" + (this.shipments.size() + 1));
    }

    /**
     * Cancels a shipment, once, and voids its key.
     * @param key the shipment's idempotency key
     */
    public synchronized void cancel(String key) {
        this.cancelled.add(key);
        this.shipments.remove(key);
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
