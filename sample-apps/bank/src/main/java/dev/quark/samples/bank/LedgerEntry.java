package dev.quark.samples.bank;

import org.jspecify.annotations.Nullable;

/**
 * The outbox message an account sends to its {@link Ledger} with every change of its balance
 * ({@value BankDestinations#LEDGER}, keyed by the account id), in the same write as the change.
 *
 * @param entry the account's entry number: 1, 2, 3, ... without gaps, delivered in that order
 * @param kind what changed the balance
 * @param amount the amount, positive (a fee on an empty account is 0)
 * @param counterparty the other account of a transfer, else {@code null}
 * @param transferId the transfer id of a transfer, else {@code null}
 */
record LedgerEntry(long entry, Kind kind, long amount, @Nullable String counterparty, @Nullable String transferId) {

    static LedgerEntry of(long entry, Kind kind, long amount) {
        return new LedgerEntry(entry, kind, amount, null, null);
    }

    /**
     * Returns the event the ledger records for this entry.
     * @throws IllegalArgumentException when a transfer entry lacks its counterparty or transfer id
     */
    LedgerEvent toEvent() {
        return switch (this.kind) {
            case DEPOSIT -> new LedgerEvent.Deposited(this.entry, this.amount);
            case WITHDRAWAL -> new LedgerEvent.Withdrawn(this.entry, this.amount);
            case FEE -> new LedgerEvent.FeeCharged(this.entry, this.amount);
            case TRANSFER_OUT -> new LedgerEvent.TransferSent(this.entry, this.amount, required(this.counterparty),
                    required(this.transferId));
            case TRANSFER_IN -> new LedgerEvent.TransferReceived(this.entry, this.amount, required(this.counterparty),
                    required(this.transferId));
        };
    }

    private String required(@Nullable String value) {
        if (value == null) {
            throw new IllegalArgumentException("Ledger entry " + this.entry + " (" + this.kind
                    + ") lacks its counterparty or transfer id");
        }
        return value;
    }

    /** What changed an account's balance. */
    enum Kind {
        DEPOSIT, WITHDRAWAL, FEE, TRANSFER_OUT, TRANSFER_IN
    }
}
