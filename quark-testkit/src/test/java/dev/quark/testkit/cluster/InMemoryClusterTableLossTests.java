package dev.quark.testkit.cluster;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;

/**
 * {@link ClusterTableLossTests} on the in-memory table, cleared as a backend that lost its data, and restored to an
 * earlier snapshot as a failover to a replica that missed the latest writes.
 */
class InMemoryClusterTableLossTests extends ClusterTableLossTests {

    private final InMemoryMembershipProvider table = new InMemoryMembershipProvider();

    @Override
    MembershipProvider table() {
        return this.table;
    }

    @Override
    void loseTheTable() {
        this.table.clear();
    }

    @Override
    Object copyTheTable() {
        return this.table.read();
    }

    @Override
    void loseWritesSince(Object copy) {
        this.table.restore((MembershipSnapshot) copy);
    }
}
