package dev.quark.cluster.transport;

/**
 * Marks a failure to reach a silo that the two silos' configuration caused, not the network: one side refused
 * the other (a TLS certificate it does not trust or none where one is required, another cluster name, another
 * protocol version). Unlike a silo that is gone or slow, it does not heal until the configuration is fixed, so a
 * joining silo that meets one gives up instead of waiting for the silo to expire (see
 * {@link dev.quark.cluster.membership.SiloProber#isRefusal(Throwable)}).
 */
public interface LinkRefusal {
}
