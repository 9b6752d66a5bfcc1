package dev.quark.cluster.transport.grpc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sliding count of a stream's invalid frames.
 */
class InvalidFrameBudgetTests {

    @Test
    void countsOnlyTheLastWindowOfFramesAcrossWordsOfItsBits() {
        // 130 frames: three words of bits, the last one partly used.
        InvalidFrameBudget budget = new InvalidFrameBudget(3, 130);
        for (int frame = 0; frame < 130; frame++) {
            if (frame == 0 || frame == 64 || frame == 129) {
                assertThat(budget.invalid()).isFalse();
            }
            else {
                budget.valid();
            }
        }
        assertThat(budget.invalidInWindow()).isEqualTo(3);
        assertThat(budget.counted()).isEqualTo(130);
        // Frame 130 takes frame 0's place: still 3 of the last 130.
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.invalidInWindow()).isEqualTo(3);
        // Frame 131 takes the place of frame 1, a valid one: 4 of the last 130.
        assertThat(budget.invalid()).isTrue();
        assertThat(budget.invalidInWindow()).isEqualTo(4);
    }

    @Test
    void validFramesSlideInvalidOnesOutOfTheWindow() {
        InvalidFrameBudget budget = new InvalidFrameBudget(2, 4);
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.counted()).isEqualTo(2);
        for (int i = 0; i < 4; i++) {
            budget.valid();
        }
        assertThat(budget.invalidInWindow()).isZero();
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.invalid()).isTrue();
        assertThat(budget.invalidInWindow()).isEqualTo(3);
    }

    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = { 10, GrpcTransportSettings.MAX_INVALID_FRAMES_WINDOW })
    void holdsItsBitsOnlyWhileSomeOfTheWindowIsInvalid(int window) {
        InvalidFrameBudget budget = new InvalidFrameBudget(window, window);
        // A stream refused at its handshake, an idle one, or one of valid envelopes only: no bits.
        assertThat(budget.holdsBits()).isFalse();
        for (int i = 0; i < 3 * window; i++) {
            budget.valid();
        }
        assertThat(budget.holdsBits()).isFalse();
        assertThat(budget.counted()).isEqualTo(window);
        // The first invalid frame allocates them.
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.holdsBits()).isTrue();
        validFramesLetItsBitsGoExactlyAWindowLater(budget, window);
        // And allocated again, clear, by the next invalid frame, one frame further into the window's words: its bit
        // too is cleared, and the bits let go, exactly a window of frames later.
        assertThat(budget.invalid()).isFalse();
        assertThat(budget.holdsBits()).isTrue();
        assertThat(budget.invalidInWindow()).isEqualTo(1);
        validFramesLetItsBitsGoExactlyAWindowLater(budget, window);
    }

    private static void validFramesLetItsBitsGoExactlyAWindowLater(InvalidFrameBudget budget, int window) {
        for (int i = 1; i < window; i++) {
            budget.valid();
            assertThat(budget.holdsBits()).isTrue();
            assertThat(budget.invalidInWindow()).isEqualTo(1);
        }
        // Its slot taken by a valid frame, the window holds no invalid frame: the bits are let go.
        budget.valid();
        assertThat(budget.invalidInWindow()).isZero();
        assertThat(budget.holdsBits()).isFalse();
    }
}
