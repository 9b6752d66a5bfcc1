package dev.quark.samples.bank;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.state.ActorState;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The implementation of {@link Account}: one instance per active account. The balance lives in persistent
 * state, loaded before the first call and saved by every change, so it survives restarts when the application
 * runs with {@code quark.backend=redis} or {@code postgres}.
 * <p>
 * Opening an account (its first deposit) registers the {@link MonthlyFee monthly fee} reminder. The reminder is
 * kept in the reminder table, so it fires whether or not the account is active, and survives restarts like the
 * balance; each tick is a turn of this actor ({@link #receiveReminder}).
 */
@QuarkActor
class AccountActor extends AbstractActor implements Account, Remindable {

    private static final Logger logger = LoggerFactory.getLogger(AccountActor.class);

    private final MonthlyFee monthlyFee;

    @ActorState(name = "account")
    private PersistentState<AccountState> account;

    AccountActor(MonthlyFee monthlyFee) {
        this.monthlyFee = monthlyFee;
    }

    @Override
    public long deposit(long amount) {
        requirePositive(amount);
        boolean opening = !this.account.exists();
        long balance = change(current().deposit(amount));
        if (opening) {
            registerReminder(MonthlyFee.REMINDER, this.monthlyFee.schedule());
        }
        return balance;
    }

    /**
     * Charges the monthly fee of one tick, once per scheduled instant: a tick delivered again after a crash
     * carries the instant it stands for, which the state remembers.
     */
    @Override
    public void receiveReminder(String name, ReminderStatus status) {
        if (!name.equals(MonthlyFee.REMINDER)) {
            return;
        }
        AccountState current = current();
        if (!current.owesFeeFor(status.scheduledAt())) {
            logger.debug("Account {} was already charged the fee of {}", actorId(), status.scheduledAt());
            return;
        }
        long balance = change(current.chargeFee(this.monthlyFee.amount(), status.scheduledAt()));
        logger.info("Account {} charged the monthly fee of {}: balance {}", actorId(), status.scheduledAt(), balance);
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
