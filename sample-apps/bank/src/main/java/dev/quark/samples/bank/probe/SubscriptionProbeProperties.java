package dev.quark.samples.bank.probe;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The subscription probe ({@code bank.subscription-probe.*}): a projection on the global event feed that records
 * every event it handles in a table.
 *
 * @param enabled whether the probe's subscription exists (the {@code subscription-probe} profile turns it on; it needs
 * the {@code postgres} profile, the only backend with a global feed across processes)
 * @param name the subscription's name, which keys its checkpoint and its lease
 * @param handleDelay how long the handler waits before it records an event: a slow projection, so that the follower
 * has a backlog to work through when the process tests kill it; zero for none
 */
@ConfigurationProperties("bank.subscription-probe")
public record SubscriptionProbeProperties(@DefaultValue("false") boolean enabled,
        @DefaultValue("bank.subscription-probe") String name, @DefaultValue("0s") Duration handleDelay) {

    /** The longest delay: the handler holds the subscription that long per event. */
    static final Duration MAX_HANDLE_DELAY = Duration.ofSeconds(10);

    /**
     * Checks the values.
     * @throws IllegalArgumentException naming the property and its value when one is invalid
     */
    public SubscriptionProbeProperties {
        if (name.isBlank() || name.length() > 255) {
            throw new IllegalArgumentException("bank.subscription-probe.name must be 1 to 255 characters, not blank, "
                    + "was '" + name + "'");
        }
        if (handleDelay.isNegative() || handleDelay.compareTo(MAX_HANDLE_DELAY) > 0) {
            throw new IllegalArgumentException("bank.subscription-probe.handle-delay must be zero to "
                    + MAX_HANDLE_DELAY + ", was " + handleDelay);
        }
    }
}
