package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

/**
 * A toy payment provider: charges and refunds are idempotent by key, as real providers' idempotency keys are, and a
 * refund voids its key: a charge that arrives after it (an attempt still running when the order was cancelled)
 * charges nothing. The card {@code 4000-declined} is always declined; charges to a card put on hold
 * ({@link #hold}) wait until it is let go, for tests of what happens meanwhile.
 */
@Component
public class PaymentGateway {

    /** The card that is always declined. */
    public static final String DECLINED_CARD = "4000-declined";

    private final Map<String, Payment> payments = new HashMap<>();

    private final Map<String, Long> charged = new HashMap<>();

    private final Set<String> voided = new HashSet<>();

    private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();

    private final EffectJournal journal;

    /**
     * Creates the gateway.
     * @param journal where it writes down each charge and refund it makes
     */
    public PaymentGateway(EffectJournal journal) {
        this.journal = journal;
    }

    /**
     * Charges a card, once per key.
     * @param key the charge's idempotency key
     * @param card the card
     * @param amount the amount in cents
     * @return the payment
     * @throws CardDeclinedException when the card is declined or the key was refunded before
     */
    public Payment charge(String key, String card, long amount) {
        awaitRelease(card);
        synchronized (this) {
            return chargeNow(key, card, amount);
        }
    }

    private Payment chargeNow(String key, String card, long amount) {
        Payment existing = this.payments.get(key);
        if (existing != null) {
            return existing;
        }
        if (this.voided.contains(key)) {
            throw new CardDeclinedException("payment " + key + " was refunded before it was made");
        }
        if (DECLINED_CARD.equals(card)) {
            throw new CardDeclinedException("card " + card + " was declined");
        }
        Payment payment = new Payment(key, card, amount);
        this.payments.put(key, payment);
        this.charged.merge(card, amount, Long::sum);
        this.journal.record("charged", key);
        return payment;
    }

    /**
     * Refunds a payment, once, and voids its key.
     * @param key the payment's idempotency key
     */
    public synchronized void refund(String key) {
        this.voided.add(key);
        Payment payment = this.payments.remove(key);
        if (payment != null) {
            this.charged.merge(payment.card(), -payment.amount(), Long::sum);
            this.journal.record("refunded", key);
        }
    }

    /**
     * Makes charges to a card wait until {@link #release} (at most a minute).
     * @param card the card
     */
    public void hold(String card) {
        this.holds.put(card, new CountDownLatch(1));
    }

    /**
     * Lets the charges to a card on hold go on.
     * @param card the card
     */
    public void release(String card) {
        CountDownLatch latch = this.holds.remove(card);
        if (latch != null) {
            latch.countDown();
        }
    }

    private void awaitRelease(String card) {
        CountDownLatch latch = this.holds.get(card);
        if (latch == null) {
            return;
        }
        try {
            latch.await(1, TimeUnit.MINUTES);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the card " + card + " was on hold", ex);
        }
    }

    /**
     * Returns what a card was charged in all, refunds deducted.
     * @param card the card
     * @return the amount in cents
     */
    public synchronized long chargedTo(String card) {
        return this.charged.getOrDefault(card, 0L);
    }

    /**
     * A charge.
     *
     * @param id the charge's idempotency key
     * @param card the card charged
     * @param amount the amount in cents
     */
    public record Payment(String id, String card, long amount) {
    }

    /**
     * The card was declined: retrying does not help.
     */
    public static class CardDeclinedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        CardDeclinedException(String message) {
            super(message);
        }
    }
}
