package dev.quark.samples.bank;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long the bank's outbox receivers ({@link AccountActor} for credits, {@link LedgerActor} for ledger entries) wait
 * after they applied a message and saved their state, before they answer the delivery ({@code bank.receivers.*}).
 * A receiver that answers at once leaves a crashing dispatcher little chance to die between the apply and its
 * acknowledgement; a slow one makes that likely, so that crash tests see applied messages delivered again and the
 * receivers' deduplication at work. Zero (the default) in normal use.
 *
 * @param delayAfterApply the wait, from zero to {@value #MAX_SECONDS} seconds; a message recognised as applied already
 * is answered without it
 */
@ConfigurationProperties("bank.receivers")
public record ReceiverDelay(@DefaultValue("0s") Duration delayAfterApply) {

    /**
     * The longest wait accepted: a test aid, kept short. It is not checked against {@code quark.actors.call-timeout},
     * which may be shorter: a delivery whose wait outlasts the call timeout fails and is retried. The wait holds the
     * receiver's turn, so the actor's other callers wait as long.
     */
    static final long MAX_SECONDS = 5;

    private static final String PROPERTY = "bank.receivers.delay-after-apply";

    /**
     * Checks the wait.
     * @throws IllegalArgumentException naming the property when it is missing, and its value in milliseconds when it
     * is negative or above the bound
     */
    public ReceiverDelay {
        if (delayAfterApply == null) {
            throw new IllegalArgumentException(PROPERTY + " must be set (0ms for no wait)");
        }
        long max = Duration.ofSeconds(MAX_SECONDS).toMillis();
        if (delayAfterApply.isNegative() || delayAfterApply.compareTo(Duration.ofSeconds(MAX_SECONDS)) > 0) {
            throw new IllegalArgumentException(PROPERTY + " must be between 0ms and " + max + "ms, was "
                    + delayAfterApply.toMillis() + "ms");
        }
    }

    /**
     * Waits {@link #delayAfterApply()} on the calling thread (the receiver's turn). An interrupt ends the wait early
     * and is kept on the thread: the message is applied and saved already, so the answer may go at once.
     */
    void afterApply() {
        if (this.delayAfterApply.isZero()) {
            return;
        }
        try {
            Thread.sleep(this.delayAfterApply);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
