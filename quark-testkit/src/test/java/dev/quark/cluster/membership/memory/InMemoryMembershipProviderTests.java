package dev.quark.cluster.membership.memory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.testkit.cluster.MembershipProviderContractTests;

/**
 * The in-memory table: one instance per cluster, as the silos of one JVM share it.
 */
class InMemoryMembershipProviderTests extends MembershipProviderContractTests {

    private final Map<String, InMemoryMembershipProvider> clusters = new ConcurrentHashMap<>();

    @Override
    protected MembershipProvider provider(String clusterName) {
        return this.clusters.computeIfAbsent(clusterName, (name) -> new InMemoryMembershipProvider());
    }

    @Override
    protected void wipe(String clusterName) {
        ((InMemoryMembershipProvider) provider(clusterName)).clear();
    }
}
