package dev.quark.cluster.transport.grpc;

/**
 * Where a silo's {@link GrpcTransport} reports what happens to its links and the streams of its peers; the Spring Boot
 * integration binds it to Micrometer. Methods are called on the threads gRPC calls streams back on and must return
 * quickly.
 */
public interface GrpcTransportMetrics {

    /** Records nothing. */
    GrpcTransportMetrics NONE = new GrpcTransportMetrics() {
    };

    /**
     * Records that this silo ended a {@code Link} stream from a peer with {@code INVALID_ARGUMENT} because of its
     * invalid frames, frames no Quark silo sends. Not called for envelopes refused for their size, for exceeding
     * the bounds on metadata and names, or for being meant for another silo: those never end a stream.
     * @param limit the limit the stream went over
     */
    default void streamEndedForInvalidFrames(InvalidFramesLimit limit) {
    }

    /**
     * Records that this silo renewed its connections, moving the links open on them (if any) to new ones: to every
     * peer once its TLS material was updated, or to one peer that asked, its own material updated ({@code Renew}). A
     * peer asks on each of its streams; its connections are renewed once per update of its material.
     * @param cause why they moved
     */
    default void linksRenewed(LinkRenewalCause cause) {
    }

    /**
     * Why a silo moved its links to new connections.
     */
    enum LinkRenewalCause {

        /** This silo's TLS material was updated ({@link SiloTls#update}). */
        MATERIAL_UPDATED,

        /** A peer asked, its TLS material updated. */
        PEER_ASKED
    }

    /**
     * The limits on invalid frames that end a stream.
     */
    enum InvalidFramesLimit {

        /**
         * More than {@link GrpcTransportSettings#maxUnreadableFramesInARow()} frames in a row were unreadable or not
         * envelopes.
         */
        UNREADABLE_IN_A_ROW,

        /**
         * More than {@link GrpcTransportSettings#maxInvalidFrames()} of the stream's last
         * {@link GrpcTransportSettings#invalidFramesWindow()} frames were invalid.
         */
        INVALID_IN_WINDOW
    }
}
