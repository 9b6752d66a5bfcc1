package dev.quark.autoconfigure.cluster;

/**
 * Holds a silo's join back until what peers need to reach it is up: a silo must not write itself to the
 * membership table before its transport accepts connections, or peers that read the entry dial and fail.
 * Without a gate, the silo joins as soon as the context starts.
 */
@FunctionalInterface
interface SiloJoinGate {

    /**
     * Runs the join now if the gate is open, else when it opens, on the thread that opens it (whose failure
     * then fails that thread's work, for instance the start of the gRPC server and so the context's start).
     * @param join the join
     */
    void whenOpen(Runnable join);
}
