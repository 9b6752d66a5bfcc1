package dev.quark.cluster.transport.grpc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer's text made safe to log and write back.
 */
class PeerTextTests {

    @Test
    void plainTextIsKeptAsItIs() {
        String plain = "REQUEST #1 a -> b is for silo b, not for silo c";
        assertThat(PeerText.safe(plain)).isSameAs(plain);
    }

    @Test
    void controlCharactersAreEscapedSoThatAPeerCannotForgeLogLines() {
        assertThat(PeerText.safe("a\nWARN forged\r\tb\u0000\u001b[31m\u2028c"))
            .isEqualTo("a\\nWARN forged\\r\\tb\\u0000\\u001b[31m\\u2028c");
    }

    @Test
    void longTextIsCutSayingHowMuch() {
        assertThat(PeerText.safe("x".repeat(10_000)))
            .isEqualTo("x".repeat(PeerText.MAX_LENGTH) + "... (" + (10_000 - PeerText.MAX_LENGTH) + " more characters cut)");
        assertThat(PeerText.safe("\n".repeat(10_000))).hasSizeLessThan(PeerText.MAX_LENGTH + 40);
        assertThat(PeerText.safe(null)).isEqualTo("null");
    }
}
