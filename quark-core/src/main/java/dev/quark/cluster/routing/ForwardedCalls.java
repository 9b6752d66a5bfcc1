package dev.quark.cluster.routing;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;
import org.jspecify.annotations.Nullable;

/**
 * The requests this silo passed on to their actor's owner and whose answer it still relays, so that deadlock
 * detection follows a wait through a silo that does not hold the call: a probe or a victim that names such a call,
 * and that this silo's runtime neither runs nor holds, goes on to the silo it was passed to ({@link DeadlockNotices}).
 * Forwards are rare (views that disagree), and a look-up only happens when a probe arrives, so this is a plain set
 * scanned on look-up.
 * <p>
 * Each forward passes a given probe or victim on once at most: a call passed back and forth between two silos
 * (each holding a forward of it to the other) would otherwise bounce probes between them, since passing one on does
 * not lengthen its path.
 */
final class ForwardedCalls {

    private final Set<Forwarded> calls = ConcurrentHashMap.newKeySet();

    private final BiFunction<Envelope, ActorAddress, @Nullable String> methodNames;

    /**
     * Creates the record of a silo's forwarded requests.
     * @param methodNames the name of a request's method, from its envelope and actor; {@code null} when this silo
     * does not know it (a type it does not host, a method of a newer release)
     */
    ForwardedCalls(BiFunction<Envelope, ActorAddress, @Nullable String> methodNames) {
        this.methodNames = methodNames;
    }

    /**
     * Records a request passed on to another silo, until {@link #answered}.
     * @return what to hand to {@link #answered}
     */
    Forwarded passedOn(Envelope request, ActorAddress address, String owner) {
        Forwarded forwarded = new Forwarded(request.callChainId(), request.forwardCount(), address,
                this.methodNames.apply(request, address), owner);
        this.calls.add(forwarded);
        return forwarded;
    }

    /** Forgets a request passed on once its answer or failure came back. */
    void answered(Forwarded forwarded) {
        this.calls.remove(forwarded);
    }

    /**
     * Returns the silo to pass a probe or victim on to: the one this silo passed the call on to (found by actor,
     * chain and method, as probes name calls; by actor and chain alone when this silo could not name the forwarded
     * call's method), the latest such forward when the call came by more than once; {@code null} when no forward
     * in flight is such a call, or when that forward already passed this probe or victim on.
     * @param relay what tells the probe or victim apart from others: each forward passes it on once
     */
    @Nullable String passOnTo(ActorAddress address, long chainId, String method, Object relay) {
        Forwarded latest = null;
        for (Forwarded forwarded : this.calls) {
            if (forwarded.chainId == chainId && forwarded.address.equals(address)
                    && (forwarded.method == null || forwarded.method.equals(method))
                    && (latest == null || forwarded.forwardCount > latest.forwardCount)) {
                latest = forwarded;
            }
        }
        return (latest != null && latest.firstRelayOf(relay)) ? latest.owner : null;
    }

    /** How many forwarded requests wait for their answer, for tests. */
    int size() {
        return this.calls.size();
    }

    /** A request passed on; identity is what tells two of them apart (the same call may be passed on twice). */
    static final class Forwarded {

        private final long chainId;

        private final int forwardCount;

        private final ActorAddress address;

        private final @Nullable String method;

        private final String owner;

        private final Set<Object> relayed = new HashSet<>();

        private Forwarded(long chainId, int forwardCount, ActorAddress address, @Nullable String method,
                String owner) {
            this.chainId = chainId;
            this.forwardCount = forwardCount;
            this.address = address;
            this.method = method;
            this.owner = owner;
        }

        private synchronized boolean firstRelayOf(Object relay) {
            return this.relayed.add(relay);
        }
    }
}
