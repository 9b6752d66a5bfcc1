package dev.quark.samples.bank;

import dev.quark.messaging.publisher.OutboxReceiver;

/**
 * The ledger of one account (the actor's id is the account's): every change of the account's balance, as events.
 * It is the destination {@value BankDestinations#LEDGER} of the outbox ({@link OutboxReceiver}): the account sends
 * each change as a {@link LedgerEntry} in the same write as the change, and the ledger records it once.
 */
public interface Ledger extends OutboxReceiver {

    /**
     * Returns the ledger now.
     * @return the ledger at its latest version
     */
    LedgerView latest();

    /**
     * Returns the ledger as it was after its first {@code version} events, rebuilt from the event store.
     * @param version from 0 to the latest version
     * @return the ledger at that version
     * @throws IllegalArgumentException when the version is negative or beyond the latest, naming it
     */
    LedgerView at(long version);
}
