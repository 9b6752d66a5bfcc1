package dev.quark.samples.bank;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What an account keeps in persistent state.
 *
 * @param balance the balance
 * @param feesChargedThrough the scheduled instant of the last monthly fee charged, {@code null} before the first:
 * a reminder tick is delivered at least once, and a tick delivered again carries the same instant, so the
 * account charges each instant once
 * @param entries how many entries the account has sent to its {@link Ledger ledger}: each change of balance is
 * entry {@code entries + 1}, which the ledger records once (it ignores an entry number it has seen)
 * @param recentCredits the outbox message ids of the last {@value #REMEMBERED_CREDITS} transfer credits applied,
 * newest last: a credit delivered again carries the same message id and is not applied twice
 */
public record AccountState(long balance, @Nullable Instant feesChargedThrough, long entries,
        List<String> recentCredits) {

    /** The state of an account that has never been used. */
    public static final AccountState EMPTY = new AccountState(0, null, 0, List.of());

    /**
     * How many credit message ids an account remembers. The outbox redelivers a message when the dispatcher that
     * delivered it died or lost its partition before marking it delivered: the message was among the last few
     * delivered for the account (messages of one key are delivered one at a time, in order), far inside this window.
     */
    static final int REMEMBERED_CREDITS = 1000;

    /**
     * Accepts a state saved before entries and credits existed (both then missing).
     */
    public AccountState {
        recentCredits = (recentCredits != null) ? List.copyOf(recentCredits) : List.of();
    }

    AccountState deposit(long amount) {
        return new AccountState(Math.addExact(this.balance, amount), this.feesChargedThrough, this.entries + 1,
                this.recentCredits);
    }

    AccountState withdraw(long amount) {
        return new AccountState(this.balance - amount, this.feesChargedThrough, this.entries + 1, this.recentCredits);
    }

    /**
     * Returns whether a transfer credit was applied already.
     * @param messageId the outbox message id of the credit
     * @return whether it is among the credits remembered
     */
    boolean credited(String messageId) {
        return this.recentCredits.contains(messageId);
    }

    AccountState credit(long amount, String messageId) {
        List<String> credits = new ArrayList<>(this.recentCredits);
        credits.add(messageId);
        if (credits.size() > REMEMBERED_CREDITS) {
            credits.removeFirst();
        }
        return new AccountState(Math.addExact(this.balance, amount), this.feesChargedThrough, this.entries + 1, credits);
    }

    /**
     * Returns whether the fee of a scheduled instant is still to be charged.
     * @param scheduledAt the instant of the reminder tick
     * @return {@code false} when that instant, or a later one, was charged already
     */
    boolean owesFeeFor(Instant scheduledAt) {
        return this.feesChargedThrough == null || scheduledAt.isAfter(this.feesChargedThrough);
    }

    /**
     * Returns what a fee takes from this balance: never more than the balance.
     */
    long feeDue(long fee) {
        return Math.min(fee, this.balance);
    }

    AccountState chargeFee(long fee, Instant scheduledAt) {
        return new AccountState(this.balance - feeDue(fee), scheduledAt, this.entries + 1, this.recentCredits);
    }
}
