package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

/**
 * A toy carrier: ships once per key and cannot ship to {@code nowhere}.
 */
@Component
public class Carrier {

    private final Map<String, String> shipments = new HashMap<>();

    /**
     * Ships an order, once per key.
     * @param key the shipment's idempotency key
     * @param address where to
     * @return the tracking number
     * @throws UndeliverableException for the address {@code nowhere}
     */
    public synchronized String ship(String key, String address) {
        if ("nowhere".equals(address)) {
            throw new UndeliverableException("no carrier delivers to '" + address + "'");
        }
        return this.shipments.computeIfAbsent(key, (ignored) -> "TRK-" + (this.shipments.size() + 1));
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
