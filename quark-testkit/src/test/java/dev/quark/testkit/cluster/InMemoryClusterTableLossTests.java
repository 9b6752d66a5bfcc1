package dev.quark.testkit.cluster;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;

/** {@link ClusterTableLossTests} on the in-memory table, cleared as a backend that lost its data. */
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
}
