package dev.quark.samples.bank;

import dev.quark.actor.Actor;

/**
 * A bank account. Each account is a virtual actor: calls to one account run one at a time, so its balance
 * needs no locking.
 */
public interface Account extends Actor {

    /**
     * Adds money to the account.
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
     * Returns the balance.
     * @return the balance
     */
    long balance();
}
