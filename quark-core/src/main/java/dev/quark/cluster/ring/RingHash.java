package dev.quark.cluster.ring;

import java.nio.charset.StandardCharsets;

import dev.quark.runtime.ActorAddress;

import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The 64-bit hash every silo places keys and virtual nodes with: the first half of MurmurHash3 x64 128 (seed
 * 0) over the UTF-8 bytes. Fast, well distributed and fixed by its specification, so every JVM computes the
 * same value; never {@code String.hashCode}, which clusters similar ids, and not a cryptographic hash, which
 * costs ten times as much for nothing a ring needs.
 */
public final class RingHash {

    private RingHash() {
    }

    /**
     * Hashes a string.
     * @param value the string
     * @return its 64-bit hash
     */
    public static long of(String value) {
        return MurmurHash3.hash128x64(value.getBytes(StandardCharsets.UTF_8))[0];
    }

    /**
     * Hashes an actor address: its type name and id joined by a NUL character, so {@code ("ab", "c")} and
     * {@code ("a", "bc")} hash apart.
     * @param address the address
     * @return its 64-bit hash
     */
    public static long of(ActorAddress address) {
        return of(address.typeName() + '\u0000' + address.id());
    }
}
