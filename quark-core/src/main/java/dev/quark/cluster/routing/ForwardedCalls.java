package dev.quark.cluster.routing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The requests this silo passed on to their actor's owner and whose answer it still relays, so that deadlock
 * detection follows a wait through a silo that no longer holds the call: a probe or a victim that names such a call
 * goes on to the silo it was passed to ({@link DeadlockNotices}). Forwards are rare (views that disagree), and
 * looking one up only happens when a probe arrives, so this is a plain set scanned on look-up.
 */
final class ForwardedCalls {

    private final Set<Forwarded> calls = ConcurrentHashMap.newKeySet();

    private final BiFunction<Envelope, ActorAddress, String> methodNames;

    /**
     * Creates the record of a silo's forwarded requests.
     * @param methodNames the name of a request's method, from its envelope and actor
     */
    ForwardedCalls(BiFunction<Envelope, ActorAddress, String> methodNames) {
        this.methodNames = methodNames;
    }

    /**
     * Records a request passed on to another silo, until {@link #answered}.
     * @return what to hand to {@link #answered}
     */
    Forwarded passedOn(Envelope request, ActorAddress address, String owner) {
        Forwarded forwarded = new Forwarded(request, address, owner);
        this.calls.add(forwarded);
        return forwarded;
    }

    /** Forgets a request passed on once its answer or failure came back. */
    void answered(Forwarded forwarded) {
        this.calls.remove(forwarded);
    }

    /**
     * Returns the silo this silo passed a request on to, found by actor, chain and method as deadlock probes name
     * calls, or {@code null} when none of its forwards in flight is such a call.
     */
    @Nullable String passedTo(ActorAddress address, long chainId, String method) {
        for (Forwarded forwarded : this.calls) {
            if (forwarded.request.callChainId() == chainId && forwarded.address.equals(address)
                    && this.methodNames.apply(forwarded.request, address).equals(method)) {
                return forwarded.owner;
            }
        }
        return null;
    }

    /** How many forwarded requests wait for their answer, for tests. */
    int size() {
        return this.calls.size();
    }

    /** A request passed on; identity is what tells two of them apart (the same call may be passed on twice). */
    static final class Forwarded {

        private final Envelope request;

        private final ActorAddress address;

        private final String owner;

        private Forwarded(Envelope request, ActorAddress address, String owner) {
            this.request = request;
            this.address = address;
            this.owner = owner;
        }
    }
}
