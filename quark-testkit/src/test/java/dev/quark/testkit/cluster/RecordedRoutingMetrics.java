package dev.quark.testkit.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.cluster.routing.RoutingMetrics;

/**
 * Routing metrics that record the calls routed again, the calls passed on to their actor's owner and the calls failed
 * for membership reasons, for tests that check what a silo did with a call it could not hand over or did not own.
 * Safe to read while the silos' threads record.
 */
final class RecordedRoutingMetrics implements RoutingMetrics {

    private final List<String> rerouted = new CopyOnWriteArrayList<>();

    private final List<Throwable> failed = new CopyOnWriteArrayList<>();

    private final List<String> forwarded = new CopyOnWriteArrayList<>();

    @Override
    public void forwarded(String ownerSiloId) {
        this.forwarded.add(ownerSiloId);
    }

    @Override
    public void rerouted(String refusingSiloId) {
        this.rerouted.add(refusingSiloId);
    }

    @Override
    public void failedForMembership(Throwable failure) {
        this.failed.add(failure);
    }

    /**
     * Returns the silos that could not be reached or refused, once for every call routed again.
     * @return the live list
     */
    List<String> rerouted() {
        return this.rerouted;
    }

    /**
     * Returns the silos calls were passed on to, once for every call passed on.
     * @return the live list
     */
    List<String> forwarded() {
        return this.forwarded;
    }

    /**
     * Returns the calls failed for membership reasons, one-way calls a silo dropped included.
     * @return the live list
     */
    List<Throwable> failed() {
        return this.failed;
    }
}
