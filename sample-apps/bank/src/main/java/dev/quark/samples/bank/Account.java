package dev.quark.samples.bank;

import dev.quark.messaging.publisher.OutboxReceiver;

/**
 * A bank account. Each account is a virtual actor: calls to one account run one at a time, so its balance
 * needs no locking.
 * <p>
 * An account is also the destination {@value BankDestinations#CREDITS} of the outbox ({@link OutboxReceiver}): the
 * credit half of a {@link #transfer transfer} reaches it as an outbox message, delivered at least once and applied
 * once.
 */
public interface Account extends OutboxReceiver {

    /**
     * Adds money to the account; the first deposit opens it.
     * @param amount a positive amount
     * @return the new balance
     */
    long deposit(long amount);

    /**
     * Takes money from the account.
     * @param amount a positive amount, at most the balance
     * @return the new balance
     * @throws InsufficientFundsException if the balance is too low
     */
    long withdraw(long amount);

    /**
     * Moves money to another account: takes it from this one now and credits the other one through the outbox, so
     * the other account's balance shows it once the credit was delivered (shortly after, at least once, applied
     * once). The caller checks that the other account is {@link #opened() opened}: accounts are never closed.
     * @param to the account credited, another opened account
     * @param amount a positive amount, at most the balance
     * @return the transfer, with this account's new balance
     * @throws InsufficientFundsException if the balance is too low; nothing moved, nothing published
     * @throws UnknownAccountException if this account was never opened
     */
    Transfer transfer(String to, long amount);

    /**
     * Returns the balance.
     * @return the balance
     */
    long balance();

    /**
     * Returns whether the account was opened (by a first deposit).
     * @return whether the account exists
     */
    boolean opened();
}
