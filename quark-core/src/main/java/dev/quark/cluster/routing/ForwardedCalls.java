package dev.quark.cluster.routing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.transport.Envelope;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.RecentRelays;
import org.jspecify.annotations.Nullable;

/**
 * The requests this silo passed on to their actor's owner and whose answer it still relays, so that deadlock
 * detection follows a wait through a silo that does not hold the call: a probe or a victim that names such a call,
 * and that this silo's runtime neither runs nor holds, goes on to the silo it was passed to ({@link DeadlockNotices}).
 * Forwards are rare (views that disagree), and a look-up only happens when a probe arrives, so this is a plain set
 * scanned on look-up, and a forward's method is named only then.
 * <p>
 * A forward passes the same probe or victim on once within {@link RecentRelays#REPEAT_AFTER_NANOS}: a call passed
 * back and forth between two silos would otherwise bounce probes between them.
 */
final class ForwardedCalls {

    private final Set<Forwarded> calls = ConcurrentHashMap.newKeySet();

    private final MethodNames methodNames;

    /**
     * Creates the record of a silo's forwarded requests.
     * @param methodNames names a forwarded request's method when a probe asks
     */
    ForwardedCalls(MethodNames methodNames) {
        this.methodNames = methodNames;
    }

    /**
     * Records a request passed on to another silo, until {@link #answered}.
     * @return what to hand to {@link #answered}
     */
    Forwarded passedOn(Envelope request, ActorAddress address, String owner) {
        Forwarded forwarded = new Forwarded(request.callChainId(), request.forwardCount(), address,
                request.methodId(), owner);
        this.calls.add(forwarded);
        return forwarded;
    }

    /** Forgets a request passed on once its answer or failure came back. */
    void answered(Forwarded forwarded) {
        this.calls.remove(forwarded);
    }

    /**
     * Returns the silo to pass a probe or victim on to: the one this silo passed the call on to (found by actor,
     * chain and method, as probes name calls; by actor and chain alone when this silo cannot name the forwarded
     * call's method), the latest such forward when the call came by more than once (one whose method matches by
     * name before one that cannot be named); {@code null} when no forward in flight is such a call, or when that
     * forward passed the same probe or victim on within {@link RecentRelays#REPEAT_AFTER_NANOS}.
     * @param relay the probe or victim, told apart from others by its equality
     */
    @Nullable String passOnTo(ActorAddress address, long chainId, String method, Object relay) {
        Forwarded latest = null;
        boolean latestNamed = false;
        for (Forwarded forwarded : this.calls) {
            if (forwarded.chainId != chainId || !forwarded.address.equals(address)) {
                continue;
            }
            String name = this.methodNames.nameOf(address.typeName(), forwarded.methodId);
            if (name != null && !name.equals(method)) {
                continue;
            }
            boolean named = name != null;
            if (latest == null || forwarded.forwardCount > latest.forwardCount
                    || (forwarded.forwardCount == latest.forwardCount && named && !latestNamed)) {
                latest = forwarded;
                latestNamed = named;
            }
        }
        return (latest != null && latest.relays.first(relay, System.nanoTime())) ? latest.owner : null;
    }

    /** How many forwarded requests wait for their answer, for tests. */
    int size() {
        return this.calls.size();
    }

    /** Names a method of an actor type, if this silo knows both. */
    @FunctionalInterface
    interface MethodNames {

        /**
         * Returns a method's name.
         * @return the name, or {@code null} when this silo does not know the type or the method (a type it does not
         * host, a method of a newer release)
         */
        @Nullable String nameOf(String typeName, int methodId);
    }

    /** A request passed on; identity is what tells two of them apart (the same call may be passed on twice). */
    static final class Forwarded {

        private final long chainId;

        private final int forwardCount;

        private final ActorAddress address;

        private final int methodId;

        private final String owner;

        private final RecentRelays relays = new RecentRelays();

        private Forwarded(long chainId, int forwardCount, ActorAddress address, int methodId, String owner) {
            this.chainId = chainId;
            this.forwardCount = forwardCount;
            this.address = address;
            this.methodId = methodId;
            this.owner = owner;
        }
    }
}
