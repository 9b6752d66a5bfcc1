package dev.quark.samples.orders;

import java.util.HashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

/**
 * A toy payment provider: charges and refunds are idempotent by key, as real providers' idempotency keys are; the
 * card {@code 4000-declined} is always declined.
 */
@Component
public class PaymentGateway {

    /** The card that is always declined. */
    public static final String DECLINED_CARD = "4000-declined";

    private final Map<String, Payment> payments = new HashMap<>();

    private final Map<String, Long> charged = new HashMap<>();

    /**
     * Charges a card, once per key.
     * @param key the charge's idempotency key
     * @param card the card
     * @param amount the amount in cents
     * @return the payment
     * @throws CardDeclinedException when the card is declined
     */
    public synchronized Payment charge(String key, String card, long amount) {
        Payment existing = this.payments.get(key);
        if (existing != null) {
            return existing;
        }
        if (DECLINED_CARD.equals(card)) {
            throw new CardDeclinedException("card " + card + " was declined");
        }
        Payment payment = new Payment(key, card, amount);
        this.payments.put(key, payment);
        this.charged.merge(card, amount, Long::sum);
        return payment;
    }

    /**
     * Refunds a payment, once.
     * @param payment the payment
     */
    public synchronized void refund(Payment payment) {
        if (this.payments.remove(payment.id()) != null) {
            this.charged.merge(payment.card(), -payment.amount(), Long::sum);
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
