package dev.quark.cluster.ring;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import dev.quark.runtime.ActorAddress;
import org.apache.commons.codec.digest.MurmurHash3;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RingHashTests {

    /**
     * The values every silo must agree on; a change of algorithm, seed or encoding changes them and fails here
     * before it splits a cluster that runs two versions. Computed with Apache Commons Codec 1.19's {@code
     * MurmurHash3.hash128x64(bytes)[0]}.
     */
    @Test
    void valuesArePinned() {
        assertThat(RingHash.of("")).isEqualTo(0x0000000000000000L);
        assertThat(RingHash.of("a")).isEqualTo(0x85555565f6597889L);
        assertThat(RingHash.of("silo-1#0")).isEqualTo(0x601ff1302a84fb15L);
        assertThat(RingHash.of("0123456789abcdef")).isEqualTo(0x4be06d94cf4ad1a7L);
        assertThat(RingHash.of("0123456789abcdefg")).isEqualTo(0x8e32612daa45f9deL);
        assertThat(RingHash.of("Zürich €\uD83D\uDE00")).isEqualTo(0x75ffa68bdc251ff7L);
        assertThat(RingHash.of(new ActorAddress("Account", "account-42"))).isEqualTo(0x94dea50167817d44L);
    }

    @Test
    void anAddressHashesItsTypeNameAZeroByteAndItsId() {
        assertThat(RingHash.of(new ActorAddress("Account", "account-42")))
            .isEqualTo(RingHash.of("Account\u0000account-42"));
        assertThat(RingHash.of(new ActorAddress("Zürich", "\uD83D\uDE00-1")))
            .isEqualTo(RingHash.of("Zürich\u0000\uD83D\uDE00-1"));
    }

    @Test
    void theBoundaryBetweenTypeNameAndIdIsPartOfTheHash() {
        assertThat(RingHash.of(new ActorAddress("ab", "c"))).isNotEqualTo(RingHash.of(new ActorAddress("a", "bc")));
        assertThat(RingHash.of(new ActorAddress("ab", "c"))).isNotEqualTo(RingHash.of("abc"));
    }

    /**
     * Strings of up to 48 chars (every tail size, lanes aligned and not) of ASCII, two-, three- and four-byte
     * characters and unpaired surrogates, mixed, hash as Commons Codec hashes their UTF-8 bytes.
     */
    @Test
    void valuesAreThoseOfTheReferenceImplementationOverUtf8() {
        char[][] alphabets = { "abcdefghijklmnopqrstuvwxyz0123456789-#".toCharArray(),
                "abcdefghijklmnopqrstuvwxyz0123456789é\uD83D\uDE00".toCharArray(), "aéßøÆ€中文\u0000".toCharArray(),
                { 'a', 'b', '\uD83D', '\uDE00', '\uDBFF', '\uDFFF', '\uD800', '\uDC00', 'é' } };
        Random random = new Random(42);
        for (int round = 0; round < 2_000; round++) {
            char[] alphabet = alphabets[round % alphabets.length];
            char[] chars = new char[random.nextInt(49)];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = alphabet[random.nextInt(alphabet.length)];
            }
            String value = new String(chars);
            assertThat(RingHash.of(value)).as("hash of %s", value.chars().mapToObj(Integer::toHexString).toList())
                .isEqualTo(reference(value));
        }
    }

    @Test
    void anAsciiRunAfterAnUnalignedStartHashesAsItsBytes() {
        for (int prefix = 0; prefix < 16; prefix++) {
            String value = "é".repeat(prefix) + "0123456789abcdefghijklmnopqrstuvwxyz";
            assertThat(RingHash.of(value)).isEqualTo(reference(value));
            ActorAddress address = new ActorAddress("T".repeat(prefix + 1), "0123456789abcdefghijklmnop");
            assertThat(RingHash.of(address)).isEqualTo(reference(address.typeName() + "\u0000" + address.id()));
        }
    }

    private static long reference(String value) {
        return MurmurHash3.hash128x64(value.getBytes(StandardCharsets.UTF_8))[0];
    }
}
