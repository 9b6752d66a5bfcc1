package dev.quark.samples.bank;

import dev.quark.actor.QuarkActor;
import dev.quark.eventsourcing.EventSourcedActor;
import dev.quark.messaging.OutboxMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The implementation of {@link Ledger}: an event-sourced actor whose stream, {@code Ledger/<account id>}, holds one
 * {@link LedgerEvent} per change of the account's balance. An activation rebuilds the ledger from its latest
 * snapshot (one every {@value #SNAPSHOT_EVERY} events) and the events after it.
 * <p>
 * Entries come from the outbox, at least once and in the order the account sent them (one key, one account): an
 * entry whose number is not above the last one recorded is a redelivery and is acknowledged without recording it.
 */
@QuarkActor
class LedgerActor extends EventSourcedActor<LedgerState, LedgerEvent> implements Ledger {

    /** How many events a ledger appends between two snapshots. */
    static final int SNAPSHOT_EVERY = 10;

    private static final Logger logger = LoggerFactory.getLogger(LedgerActor.class);

    private final JsonMapper json;

    private final ReceiverDelay receiverDelay;

    LedgerActor(JsonMapper json, ReceiverDelay receiverDelay) {
        this.json = json;
        this.receiverDelay = receiverDelay;
    }

    @Override
    protected LedgerState initialState() {
        return LedgerState.EMPTY;
    }

    @Override
    protected LedgerState apply(LedgerState state, LedgerEvent event) {
        return state.apply(event);
    }

    @Override
    protected int snapshotEvery() {
        return SNAPSHOT_EVERY;
    }

    /**
     * Records an entry delivered by the outbox, unless the ledger holds it already. Once recorded, the answer waits
     * for the {@link ReceiverDelay} (none by default).
     */
    @Override
    public void receive(OutboxMessage message) {
        LedgerEntry entry = this.json.readValue(message.payload(), LedgerEntry.class);
        if (entry.entry() <= state().lastEntry()) {
            logger.debug("Ledger {} already holds entry {} (message {} delivered again)", actorId(), entry.entry(),
                    message.id());
            return;
        }
        emit(entry.toEvent());
        this.receiverDelay.afterApply();
    }

    @Override
    public LedgerView latest() {
        return new LedgerView(actorId(), streamVersion(), streamVersion(), state());
    }

    @Override
    public LedgerView at(long version) {
        if (version < 0 || version > streamVersion()) {
            throw new IllegalArgumentException("version must be between 0 and " + streamVersion() + " (the ledger of "
                    + actorId() + "), was " + version);
        }
        return new LedgerView(actorId(), version, streamVersion(), stateAt(version));
    }
}
