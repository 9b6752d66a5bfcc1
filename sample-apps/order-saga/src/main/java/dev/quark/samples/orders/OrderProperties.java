package dev.quark.samples.orders;

import java.nio.file.Path;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * When an order needs an approval and how long it waits for one; and how the toy services behave.
 *
 * @param approvalThreshold orders of more than this amount (cents) wait for an approval
 * @param approvalTimeout how long an order waits for its approval before it is cancelled
 * @param shippingTime how long the toy {@link Carrier} takes to confirm a shipment it has made (none by default; the
 * process tests hold a shipment open with it, to kill the worker inside the activity)
 * @param effectJournal a file the toy services append a line to for every effect they make ({@code shipped
 * shipment-o1}), so that a test outside the JVM sees what happened, also after the JVM was killed; none by default
 */
@ConfigurationProperties("orders")
public record OrderProperties(@DefaultValue("100000") long approvalThreshold,
        @DefaultValue("1h") Duration approvalTimeout, @DefaultValue("0s") Duration shippingTime,
        @Nullable Path effectJournal) {

    /**
     * Validates the properties.
     * @throws IllegalArgumentException naming the bad value
     */
    public OrderProperties {
        if (approvalThreshold < 0) {
            throw new IllegalArgumentException("orders.approval-threshold must not be negative, was "
                    + approvalThreshold);
        }
        if (approvalTimeout.isNegative() || approvalTimeout.isZero()) {
            throw new IllegalArgumentException("orders.approval-timeout must be positive, was " + approvalTimeout);
        }
        if (shippingTime.isNegative()) {
            throw new IllegalArgumentException("orders.shipping-time must not be negative, was " + shippingTime);
        }
    }
}
