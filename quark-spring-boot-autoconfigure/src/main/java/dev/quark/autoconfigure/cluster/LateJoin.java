package dev.quark.autoconfigure.cluster;

/**
 * Holds the silo's join back from the start of its {@link ClusterSiloLifecycle} until what receives its peers'
 * messages listens, and then calls {@link ClusterSiloLifecycle#join()}; holds a cluster client's first read of
 * the table back the same way ({@link ClusterClientLifecycle#connect()}). Free of transport types, so that the
 * cluster's auto-configuration can ask for it whichever transport is on the class path.
 */
interface LateJoin {

    /**
     * Returns whether the join waits; asked when the lifecycle starts, when every bean is known.
     * @return {@code true} if this will call {@link ClusterSiloLifecycle#join()} later
     */
    boolean joinsLater();
}
