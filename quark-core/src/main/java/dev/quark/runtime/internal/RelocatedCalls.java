package dev.quark.runtime.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.RecentRelays;
import org.jspecify.annotations.Nullable;

/**
 * The calls that waited here for an activation the {@link dev.quark.runtime.routing.ActivationGate} placed on another
 * silo, and that this silo sent there ({@link ActivationCatalog#relocate}), until their outcome comes back: a deadlock
 * probe or victim that names such a call (its caller sent it here), and that no activation here runs or holds, goes on
 * to the silo the call was sent to ({@link DeadlockProbes}). Relocations are rare (a caller's stale location of a
 * directory-placed actor, an owner that changed while the actor activated), and a look-up only happens when a probe
 * arrives, so this is a plain set scanned on look-up.
 */
final class RelocatedCalls {

    private final Set<Relocated> calls = ConcurrentHashMap.newKeySet();

    private final AtomicLong sequence = new AtomicLong();

    private final LongSupplier nanoTime;

    RelocatedCalls() {
        this(System::nanoTime);
    }

    /**
     * Creates the record of a silo's relocated calls.
     * @param nanoTime the time, as {@link System#nanoTime()}: when probes and victims were relayed
     */
    RelocatedCalls(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Records a call about to be sent to another silo, until it completes.
     * @param siloId the silo it goes to
     * @param invocation the call
     */
    void sending(String siloId, Invocation invocation) {
        Relocated relocated = new Relocated(siloId, invocation, this.sequence.incrementAndGet());
        this.calls.add(relocated);
        invocation.whenComplete((result, failure) -> this.calls.remove(relocated));
    }

    /**
     * Returns a call in flight that this silo relocated, found by actor, chain and method as probes name calls: the
     * latest such call when the same call came by more than once (sent on, back here, and on again elsewhere).
     * @return the call, or {@code null} when no such call is in flight
     */
    @Nullable Relocated find(ActorAddress address, long chainId, String method) {
        Relocated latest = null;
        for (Relocated relocated : this.calls) {
            Invocation call = relocated.invocation;
            if (!call.isDone() && address.equals(call.address()) && DeadlockDetector.runsCall(call, chainId, method)
                    && (latest == null || relocated.sequence > latest.sequence)) {
                latest = relocated;
            }
        }
        return latest;
    }

    /**
     * Records a relay of a probe or victim for a relocated call, unless the same one went within
     * {@link RecentRelays#REPEAT_AFTER_NANOS}.
     * @param relay the probe or victim, told apart from others by its equality
     * @return whether to relay it
     */
    boolean firstRelayOf(Relocated relocated, Object relay) {
        return relocated.relays.first(relay, this.nanoTime.getAsLong());
    }

    /** How many relocated calls wait for their outcome, for tests. */
    int size() {
        return this.calls.size();
    }

    /** A call sent on; identity tells two of them apart. */
    static final class Relocated {

        private final String siloId;

        private final Invocation invocation;

        private final long sequence;

        private final RecentRelays relays = new RecentRelays();

        Relocated(String siloId, Invocation invocation, long sequence) {
            this.siloId = siloId;
            this.invocation = invocation;
            this.sequence = sequence;
        }

        /** The silo the call went to. */
        String siloId() {
            return this.siloId;
        }
    }
}
