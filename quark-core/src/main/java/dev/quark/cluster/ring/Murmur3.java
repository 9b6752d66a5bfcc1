package dev.quark.cluster.ring;

import org.jspecify.annotations.Nullable;

/**
 * MurmurHash3 x64 128 with seed 0 over the UTF-8 encoding of text, computed as the chars are encoded, without
 * building a string or a byte array, and cut to the first 64 bits of the result. For a string it returns
 * exactly Apache Commons Codec's {@code MurmurHash3.hash128x64(string.getBytes(UTF_8))[0]}, an unpaired
 * surrogate encoded as {@code '?'} as {@link String#getBytes(java.nio.charset.Charset)} encodes it.
 * <p>
 * All state lives in local variables of one method, so hashing allocates nothing whatever the JIT inlines.
 * The bytes are gathered into 8-byte little-endian lanes, up to eight ASCII chars at a time where it can,
 * and two lanes make a 16-byte block of the algorithm.
 */
final class Murmur3 {

    private static final long C1 = 0x87c37b91114253d5L;

    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {
    }

    /**
     * Hashes the UTF-8 bytes of {@code first}, then, when {@code second} is given, a zero byte and the UTF-8
     * bytes of {@code second}.
     * @param first the first text
     * @param second the text after the zero byte, or {@code null} for none
     * @return the first 64 bits of the 128-bit hash
     */
    static long hash64(String first, @Nullable String second) {
        long h1 = 0;
        long h2 = 0;
        long firstLane = 0;
        boolean firstLaneFull = false;
        long pending = 0;
        int pendingBits = 0;
        int bytes = 0;
        String text = first;
        boolean atSecond = false;
        int i = 0;
        int slowUntil = 0;
        while (true) {
            int chars = text.length();
            long chunk = -1;
            int bits;
            if (i < chars) {
                int count = Math.min(8, chars - i);
                if (i >= slowUntil) {
                    chunk = (count == 8) ? ascii8(text, i) : ascii(text, i, count);
                    if (chunk < 0) {
                        slowUntil = i + count;
                    }
                }
                if (chunk >= 0) {
                    bits = count << 3;
                    i += count;
                }
                else {
                    char c = text.charAt(i++);
                    if (c < 0x80) {
                        chunk = c;
                        bits = 8;
                    }
                    else if (c < 0x800) {
                        chunk = (0xC0 | (c >>> 6)) | ((0x80 | (c & 0x3F)) << 8);
                        bits = 16;
                    }
                    else if (!Character.isSurrogate(c)) {
                        chunk = (0xE0 | (c >>> 12)) | ((0x80 | ((c >>> 6) & 0x3F)) << 8) | ((0x80 | (c & 0x3F)) << 16);
                        bits = 24;
                    }
                    else if (Character.isHighSurrogate(c) && i < chars && Character.isLowSurrogate(text.charAt(i))) {
                        int codePoint = Character.toCodePoint(c, text.charAt(i++));
                        chunk = (0xF0 | (codePoint >>> 18)) | ((0x80 | ((codePoint >>> 12) & 0x3F)) << 8)
                                | ((0x80 | ((codePoint >>> 6) & 0x3F)) << 16) | ((0x80L | (codePoint & 0x3F)) << 24);
                        bits = 32;
                    }
                    else {
                        chunk = '?';
                        bits = 8;
                    }
                }
            }
            else if (second != null && !atSecond) {
                chunk = 0;
                bits = 8;
                atSecond = true;
                text = second;
                i = 0;
                slowUntil = 0;
            }
            else {
                break;
            }
            bytes += bits >>> 3;
            if (pendingBits + bits < 64) {
                pending |= chunk << pendingBits;
                pendingBits += bits;
                continue;
            }
            long lane = pending | (chunk << pendingBits);
            pending = (pendingBits == 0) ? 0 : chunk >>> (64 - pendingBits);
            pendingBits += bits - 64;
            if (!firstLaneFull) {
                firstLane = lane;
                firstLaneFull = true;
                continue;
            }
            firstLaneFull = false;
            h1 ^= mixK1(firstLane);
            h1 = Long.rotateLeft(h1, 27) + h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(lane);
            h2 = Long.rotateLeft(h2, 31) + h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        if (firstLaneFull) {
            if (pendingBits > 0) {
                h2 ^= mixK2(pending);
            }
            h1 ^= mixK1(firstLane);
        }
        else if (pendingBits > 0) {
            h1 ^= mixK1(pending);
        }
        h1 ^= bytes;
        h2 ^= bytes;
        h1 += h2;
        h2 += h1;
        return fmix64(h1) + fmix64(h2);
    }

    /**
     * Returns eight chars as eight little-endian bytes when all are ASCII, else -1 (ASCII bytes have no top bit
     * set, so their lane is never negative). Unrolled: a third faster than {@link #ascii} on 36-char ids.
     */
    private static long ascii8(String text, int i) {
        long c0 = text.charAt(i);
        long c1 = text.charAt(i + 1);
        long c2 = text.charAt(i + 2);
        long c3 = text.charAt(i + 3);
        long c4 = text.charAt(i + 4);
        long c5 = text.charAt(i + 5);
        long c6 = text.charAt(i + 6);
        long c7 = text.charAt(i + 7);
        if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) >= 0x80) {
            return -1;
        }
        return c0 | (c1 << 8) | (c2 << 16) | (c3 << 24) | (c4 << 32) | (c5 << 40) | (c6 << 48) | (c7 << 56);
    }

    /** Returns up to eight chars as little-endian bytes when all are ASCII, else -1, like {@link #ascii8}. */
    private static long ascii(String text, int i, int count) {
        long lane = 0;
        int all = 0;
        for (int k = 0; k < count; k++) {
            char c = text.charAt(i + k);
            all |= c;
            lane |= (long) c << (k << 3);
        }
        return (all < 0x80) ? lane : -1;
    }

    private static long mixK1(long k1) {
        return Long.rotateLeft(k1 * C1, 31) * C2;
    }

    private static long mixK2(long k2) {
        return Long.rotateLeft(k2 * C2, 33) * C1;
    }

    private static long fmix64(long k) {
        k = (k ^ (k >>> 33)) * 0xff51afd7ed558ccdL;
        k = (k ^ (k >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return k ^ (k >>> 33);
    }
}
