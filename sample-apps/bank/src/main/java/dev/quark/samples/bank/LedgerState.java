package dev.quark.samples.bank;

/**
 * An account's ledger folded up to some version: the fold of its {@link LedgerEvent events}.
 *
 * @param balance the balance the entries add up to
 * @param lastEntry the number of the last entry recorded, 0 before the first
 * @param totalIn what came in: deposits and transfers received
 * @param totalOut what went out: withdrawals, fees and transfers sent
 * @param transfers how many transfers, sent or received
 */
public record LedgerState(long balance, long lastEntry, long totalIn, long totalOut, long transfers) {

    /** The ledger of an account with no entry yet. */
    public static final LedgerState EMPTY = new LedgerState(0, 0, 0, 0, 0);

    LedgerState apply(LedgerEvent event) {
        return switch (event) {
            case LedgerEvent.Deposited deposited -> in(deposited, 0);
            case LedgerEvent.TransferReceived received -> in(received, 1);
            case LedgerEvent.Withdrawn withdrawn -> out(withdrawn, 0);
            case LedgerEvent.FeeCharged fee -> out(fee, 0);
            case LedgerEvent.TransferSent sent -> out(sent, 1);
        };
    }

    private LedgerState in(LedgerEvent event, int transfer) {
        return new LedgerState(this.balance + event.amount(), event.entry(), this.totalIn + event.amount(),
                this.totalOut, this.transfers + transfer);
    }

    private LedgerState out(LedgerEvent event, int transfer) {
        return new LedgerState(this.balance - event.amount(), event.entry(), this.totalIn,
                this.totalOut + event.amount(), this.transfers + transfer);
    }
}
