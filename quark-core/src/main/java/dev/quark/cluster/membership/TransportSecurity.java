package dev.quark.cluster.membership;

/**
 * Whether a silo's links to other silos use TLS, as its membership entry publishes it. A silo whose links use TLS
 * cannot reach a plaintext one, nor the other way round; a joining silo compares its own with the active silos'
 * before it probes them, and fails at once when a majority of them differ ({@link JoinReachability}), instead of
 * waiting for probes that one side never answers.
 */
public enum TransportSecurity {

    /**
     * Not published: an entry written by a silo of an earlier Quark version, or by a transport that does not say
     * (the in-JVM one of the test kit). Never counted as a mismatch.
     */
    UNKNOWN,

    /** Plaintext links ({@code quark.cluster.transport.plaintext}, or no SSL bundle on loopback addresses). */
    PLAINTEXT,

    /** TLS or mutual TLS links ({@code quark.cluster.transport.ssl.bundle}). */
    TLS;

    /**
     * Returns whether a silo with this setting cannot reach one with another: both are known and they differ.
     * @param other the other silo's setting
     * @return {@code true} when they are known and differ
     */
    public boolean mismatches(TransportSecurity other) {
        return this != UNKNOWN && other != UNKNOWN && this != other;
    }
}
