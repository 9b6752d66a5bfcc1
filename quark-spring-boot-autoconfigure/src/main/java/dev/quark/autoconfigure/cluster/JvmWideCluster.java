package dev.quark.autoconfigure.cluster;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.membership.memory.InMemoryMembershipProvider;
import dev.quark.cluster.transport.injvm.InJvmNetwork;

/**
 * What the application contexts of one JVM share to form a cluster without a network or a membership store:
 * one {@link InJvmNetwork}, and one in-memory membership table per cluster name. For tests and demos; silos in
 * other processes need a transport between processes and a membership table on Redis or PostgreSQL.
 */
final class JvmWideCluster {

    private static final InJvmNetwork NETWORK = new InJvmNetwork();

    private static final Map<String, InMemoryMembershipProvider> TABLES = new ConcurrentHashMap<>();

    private JvmWideCluster() {
    }

    /**
     * Returns the network every in-JVM transport of this JVM listens on; never closed.
     * @return the network
     */
    static InJvmNetwork network() {
        return NETWORK;
    }

    /**
     * Returns the in-memory membership table of a cluster, created on first use and kept for the JVM's life.
     * @param clusterName the cluster's name
     * @return the table every context of the cluster uses
     */
    static InMemoryMembershipProvider membership(String clusterName) {
        return TABLES.computeIfAbsent(clusterName, (name) -> new InMemoryMembershipProvider());
    }
}
