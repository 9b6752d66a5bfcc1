package dev.quark.cluster.routing;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;

/**
 * Another silo as envelopes address it: its id, its incarnation and where it listens.
 *
 * @param siloId the silo
 * @param epoch its incarnation
 * @param address where it listens
 */
record Peer(String siloId, long epoch, SiloAddress address) {

    static Peer of(SiloEntry entry) {
        return new Peer(entry.siloId(), entry.epoch(), entry.address());
    }
}
