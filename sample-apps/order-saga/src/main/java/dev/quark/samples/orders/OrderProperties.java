package dev.quark.samples.orders;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * When an order needs an approval, and how long it waits for one.
 *
 * @param approvalThreshold orders of more than this amount (cents) wait for an approval
 * @param approvalTimeout how long an order waits for its approval before it is cancelled
 */
@ConfigurationProperties("orders")
public record OrderProperties(@DefaultValue("100000") long approvalThreshold,
        @DefaultValue("1h") Duration approvalTimeout) {

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
    }
}
