package dev.quark.samples.bank;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.state.ActorState;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;

/**
 * The implementation of {@link Account}: one instance per active account. The balance lives in persistent
 * state, loaded before the first call and saved by every change, so it survives restarts when the application
 * runs with {@code quark.backend=redis} or {@code postgres}.
 */
@QuarkActor
class AccountActor extends AbstractActor implements Account {

    @ActorState(name = "account")
    private PersistentState<AccountState> account;

    @Override
    public long deposit(long amount) {
        requirePositive(amount);
        return change(current().deposit(amount));
    }

    @Override
    public long withdraw(long amount) {
        requirePositive(amount);
        AccountState current = current();
        if (amount > current.balance()) {
            throw new InsufficientFundsException(actorId(), current.balance(), amount);
        }
        return change(current.withdraw(amount));
    }

    @Override
    public long balance() {
        return current().balance();
    }

    private AccountState current() {
        return this.account.getOrElse(AccountState.EMPTY);
    }

    /**
     * Saves a new state. When the save fails nothing changes, in the store or here; a conflict means another
     * activation of this account wrote meanwhile (a second silo during a failover), so this one steps aside and
     * the next call activates a fresh one that loads the current balance.
     */
    private long change(AccountState next) {
        this.account.set(next);
        try {
            this.account.save();
        }
        catch (ConcurrencyException ex) {
            deactivateOnIdle();
            throw ex;
        }
        return next.balance();
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }
}
