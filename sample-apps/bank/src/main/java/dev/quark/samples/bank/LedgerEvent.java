package dev.quark.samples.bank;

/**
 * The events of an account's {@link LedgerActor ledger}, one per change of the account's balance. Each carries the
 * account's entry number, by which the ledger records an entry delivered twice once.
 */
public sealed interface LedgerEvent {

    /**
     * Returns the account's entry number.
     * @return the entry number
     */
    long entry();

    /**
     * Returns the amount.
     * @return the amount, positive (a fee on an empty account is 0)
     */
    long amount();

    /**
     * Money deposited.
     * @param entry the entry number
     * @param amount the amount
     */
    record Deposited(long entry, long amount) implements LedgerEvent {
    }

    /**
     * Money withdrawn.
     * @param entry the entry number
     * @param amount the amount
     */
    record Withdrawn(long entry, long amount) implements LedgerEvent {
    }

    /**
     * The monthly fee charged.
     * @param entry the entry number
     * @param amount the amount charged
     */
    record FeeCharged(long entry, long amount) implements LedgerEvent {
    }

    /**
     * Money sent to another account.
     * @param entry the entry number
     * @param amount the amount
     * @param to the account credited
     * @param transferId the transfer id
     */
    record TransferSent(long entry, long amount, String to, String transferId) implements LedgerEvent {
    }

    /**
     * Money received from another account.
     * @param entry the entry number
     * @param amount the amount
     * @param from the account debited
     * @param transferId the transfer id
     */
    record TransferReceived(long entry, long amount, String from, String transferId) implements LedgerEvent {
    }
}
