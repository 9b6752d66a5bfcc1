package dev.quark.testkit.cluster;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.state.ActorState;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.PersistentState;

/**
 * Keeps its total in a {@link PersistentState} and saves it in every {@link #add} turn, so that an update is
 * acknowledged only once it is stored. A save refused because another activation wrote meanwhile reloads the
 * state before the failure reaches the caller.
 */
@QuarkActor
public class LedgerActor extends AbstractActor implements Ledger {

    @ActorState
    private PersistentState<Long> total;

    @Override
    public long add(long amount) {
        long next = this.total.update(0L, (current) -> current + amount);
        try {
            this.total.save();
        }
        catch (ConcurrencyException ex) {
            this.total.reload();
            throw ex;
        }
        return next;
    }

    @Override
    public long total() {
        return this.total.getOrElse(0L);
    }
}
