package dev.quark.samples.bank;

import java.util.UUID;
import java.util.function.Consumer;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.actor.ReminderStatus;
import dev.quark.actor.Remindable;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.state.StateOutbox;
import dev.quark.samples.bank.LedgerEntry.Kind;
import dev.quark.state.ActorState;
import dev.quark.state.PersistentState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The implementation of {@link Account}: one instance per active account. The balance lives in persistent
 * state, loaded before the first call and saved by every change, so it survives restarts when the application
 * runs with {@code quark.backend=redis} or {@code postgres}.
 * <p>
 * Opening an account (its first deposit) registers the {@link MonthlyFee monthly fee} reminder. The reminder is
 * kept in the reminder table, so it fires whether or not the account is active, and survives restarts like the
 * balance; each tick is a turn of this actor ({@link #receiveReminder}).
 * <p>
 * Every change of the balance is saved together with its outbox messages, in one write ({@link StateOutbox}): a
 * {@link LedgerEntry} for the account's {@link Ledger}, and for a transfer the {@link TransferCredit} of the account
 * credited. A transfer is thus two steps: the debit here, atomically with the credit message, then the credit in the
 * other account when the outbox delivers it. The credit is never lost (the message exists iff the debit was saved, and
 * is retried until delivered) and never applied twice (the credited account remembers the message ids it applied);
 * between the two steps the money is in flight, in neither balance. A credit cannot fail for want of funds, and the
 * controller checks that the account credited exists before the debit.
 */
@QuarkActor
class AccountActor extends AbstractActor implements Account, Remindable {

    private static final Logger logger = LoggerFactory.getLogger(AccountActor.class);

    private final MonthlyFee monthlyFee;

    private final StateOutbox stateOutbox;

    private final JsonMapper json;

    private final ReceiverDelay receiverDelay;

    @ActorState(name = "account")
    private PersistentState<AccountState> account;

    AccountActor(MonthlyFee monthlyFee, StateOutbox stateOutbox, JsonMapper json, ReceiverDelay receiverDelay) {
        this.monthlyFee = monthlyFee;
        this.stateOutbox = stateOutbox;
        this.json = json;
        this.receiverDelay = receiverDelay;
    }

    @Override
    public long deposit(long amount) {
        requirePositive(amount);
        boolean opening = !this.account.exists();
        AccountState next = current().deposit(amount);
        long balance = change(next, LedgerEntry.of(next.entries(), Kind.DEPOSIT, amount));
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
        AccountState next = current.chargeFee(this.monthlyFee.amount(), status.scheduledAt());
        long balance = change(next, LedgerEntry.of(next.entries(), Kind.FEE, current.feeDue(this.monthlyFee.amount())));
        logger.info("Account {} charged the monthly fee of {}: balance {}", actorId(), status.scheduledAt(), balance);
    }

    @Override
    public long withdraw(long amount) {
        requirePositive(amount);
        AccountState current = current();
        if (amount > current.balance()) {
            throw new InsufficientFundsException(actorId(), current.balance(), amount);
        }
        AccountState next = current.withdraw(amount);
        return change(next, LedgerEntry.of(next.entries(), Kind.WITHDRAWAL, amount));
    }

    @Override
    public Transfer transfer(String to, long amount) {
        requirePositive(amount);
        if (to.equals(actorId())) {
            throw new IllegalArgumentException("cannot transfer from account " + to + " to itself");
        }
        if (!this.account.exists()) {
            throw UnknownAccountException.of(actorId());
        }
        AccountState current = current();
        if (amount > current.balance()) {
            throw new InsufficientFundsException(actorId(), current.balance(), amount);
        }
        String transferId = UUID.randomUUID().toString();
        AccountState next = current.withdraw(amount);
        LedgerEntry sent = new LedgerEntry(next.entries(), Kind.TRANSFER_OUT, amount, to, transferId);
        save(next, (outbox) -> {
            outbox.enqueue(BankDestinations.CREDITS, to, new TransferCredit(transferId, actorId(), amount));
            outbox.enqueue(BankDestinations.LEDGER, actorId(), sent);
        });
        return new Transfer(transferId, actorId(), to, amount, next.balance());
    }

    /**
     * Applies the credit of a transfer, delivered by the outbox: once per message id, however often it is delivered.
     * Once applied and saved, the answer waits for the {@link ReceiverDelay} (none by default).
     */
    @Override
    public void receive(OutboxMessage message) {
        if (!message.destination().equals(BankDestinations.CREDITS)) {
            throw new IllegalArgumentException("Account " + actorId() + " receives no messages of destination "
                    + message.destination());
        }
        AccountState current = current();
        String messageId = message.id().toString();
        if (current.credited(messageId)) {
            logger.debug("Account {} already applied credit {}", actorId(), messageId);
            return;
        }
        TransferCredit credit = this.json.readValue(message.payload(), TransferCredit.class);
        AccountState next = current.credit(credit.amount(), messageId);
        change(next, new LedgerEntry(next.entries(), Kind.TRANSFER_IN, credit.amount(), credit.from(),
                credit.transferId()));
        this.receiverDelay.afterApply();
    }

    @Override
    public boolean opened() {
        return this.account.exists();
    }

    @Override
    public long balance() {
        return current().balance();
    }

    private AccountState current() {
        return this.account.getOrElse(AccountState.EMPTY);
    }

    /**
     * Saves a new state with its ledger entry.
     */
    private long change(AccountState next, LedgerEntry entry) {
        save(next, (outbox) -> outbox.enqueue(BankDestinations.LEDGER, actorId(), entry));
        return next.balance();
    }

    /**
     * Saves a new state and its outbox messages as one write. When the write fails nothing is stored; this
     * activation holds the unsaved state, so it steps aside and the next call activates a fresh one that loads the
     * stored balance. A conflict means another activation of this account wrote meanwhile (a second silo during a
     * failover).
     */
    private void save(AccountState next, Consumer<Outbox> messages) {
        this.account.set(next);
        try {
            this.stateOutbox.save(this.account, messages);
        }
        catch (RuntimeException ex) {
            deactivateOnIdle();
            throw ex;
        }
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive, was " + amount);
        }
    }
}
