package dev.quark.samples.bank;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;

/**
 * The implementation of {@link Account}: one instance per active account.
 */
@QuarkActor
class AccountActor extends AbstractActor implements Account {

    private long balance;

    @Override
    public long deposit(long amount) {
        requirePositive(amount);
        this.balance = Math.addExact(this.balance, amount);
        return this.balance;
    }

    @Override
    public long withdraw(long amount) {
        requirePositive(amount);
        if (amount > this.balance) {
            throw new InsufficientFundsException(actorId(), this.balance, amount);
        }
        this.balance -= amount;
        return this.balance;
    }

    @Override
    public long balance() {
        return this.balance;
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }
}
