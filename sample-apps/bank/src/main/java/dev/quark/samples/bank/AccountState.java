package dev.quark.samples.bank;

/**
 * What an account keeps in persistent state.
 *
 * @param balance the balance
 */
public record AccountState(long balance) {

    /** The state of an account that has never been used. */
    public static final AccountState EMPTY = new AccountState(0);

    AccountState deposit(long amount) {
        return new AccountState(Math.addExact(this.balance, amount));
    }

    AccountState withdraw(long amount) {
        return new AccountState(this.balance - amount);
    }
}
