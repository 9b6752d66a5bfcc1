package dev.quark.samples.bank;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * What an account keeps in persistent state.
 *
 * @param balance the balance
 * @param feesChargedThrough the scheduled instant of the last monthly fee charged, {@code null} before the first:
 * a reminder tick is delivered at least once, and a tick delivered again carries the same instant, so the
 * account charges each instant once
 */
public record AccountState(long balance, @Nullable Instant feesChargedThrough) {

    /** The state of an account that has never been used. */
    public static final AccountState EMPTY = new AccountState(0, null);

    AccountState deposit(long amount) {
        return new AccountState(Math.addExact(this.balance, amount), this.feesChargedThrough);
    }

    AccountState withdraw(long amount) {
        return new AccountState(this.balance - amount, this.feesChargedThrough);
    }

    /**
     * Returns whether the fee of a scheduled instant is still to be charged.
     * @param scheduledAt the instant of the reminder tick
     * @return {@code false} when that instant, or a later one, was charged already
     */
    boolean owesFeeFor(Instant scheduledAt) {
        return this.feesChargedThrough == null || scheduledAt.isAfter(this.feesChargedThrough);
    }

    AccountState chargeFee(long fee, Instant scheduledAt) {
        return new AccountState(this.balance - Math.min(fee, this.balance), scheduledAt);
    }
}
