package dev.quark.cluster.ring;

import dev.quark.runtime.ActorAddress;

/**
 * The 64-bit hash every silo places keys and virtual nodes with: the first half of MurmurHash3 x64 128 (seed
 * 0) over the UTF-8 bytes of the key. Fast, well distributed and fixed by its specification, so every JVM,
 * and any other implementation of MurmurHash3, computes the same value; never {@code String.hashCode}, which
 * clusters similar ids, and not a cryptographic hash, which costs ten times as much for nothing a ring needs.
 * <p>
 * The bytes are hashed as the chars are encoded, without building a string or a byte array: hashing
 * allocates nothing. The values are those of Apache Commons Codec's {@code
 * MurmurHash3.hash128x64(bytes)[0]}, which the tests check; an unpaired surrogate is encoded as {@code '?'},
 * as {@link String#getBytes(java.nio.charset.Charset)} does. The values are part of the cluster's wire
 * contract: silos that disagree on them disagree on who owns what, so they never change within a release
 * line.
 */
public final class RingHash {

    private RingHash() {
    }

    /**
     * Hashes a string: its UTF-8 bytes.
     * @param value the string
     * @return its 64-bit hash
     */
    public static long of(String value) {
        return Murmur3.hash64(value, null);
    }

    /**
     * Hashes an actor address: the UTF-8 bytes of its type name, a zero byte, then those of its id, so
     * {@code ("ab", "c")} and {@code ("a", "bc")} hash apart. Two addresses whose bytes still coincide (a type
     * name holding a NUL character) only land on the same silo.
     * @param address the address
     * @return its 64-bit hash
     */
    public static long of(ActorAddress address) {
        return Murmur3.hash64(address.typeName(), address.id());
    }
}
