package dev.quark.autoconfigure.cluster;

/**
 * Holds the silo's join back from the start of its {@link ClusterSiloLifecycle} until what receives its peers'
 * messages listens, and then calls {@link ClusterSiloLifecycle#join()}. Free of transport types, so that the
 * cluster's auto-configuration can ask for it whichever transport is on the class path.
 */
interface LateJoin {

    /**
     * Returns whether the join waits; asked when the lifecycle starts, when every bean is known.
     * @return {@code true} if this will call {@link ClusterSiloLifecycle#join()} later
     */
    boolean joinsLater();
}
