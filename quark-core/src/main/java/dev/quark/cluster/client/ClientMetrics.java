package dev.quark.cluster.client;

/**
 * Where a cluster client's membership reports what it reads; the Spring Boot integration binds it to Micrometer
 * ({@code quark.cluster.client.*}). Methods are called on the client's reader thread and must return quickly.
 */
public interface ClientMetrics {

    /** Records nothing. */
    ClientMetrics NONE = new ClientMetrics() {
    };

    /**
     * Called once when the client's membership starts, before its first read, so that gauges can observe its
     * view (membership version, active silos).
     * @param membership the client's membership
     */
    default void bindClient(ClientMembership membership) {
    }

    /**
     * Records one read of the membership table.
     * @param succeeded whether the read returned a snapshot the client installed; a read that failed, or whose
     * answer could not be installed (no snapshot, a view that cannot be built from it), left the view as it was
     */
    default void tableRead(boolean succeeded) {
    }
}
