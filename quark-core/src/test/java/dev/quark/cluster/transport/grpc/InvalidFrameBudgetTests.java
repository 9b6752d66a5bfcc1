package dev.quark.cluster.transport.grpc;

import org.junit.jupiter.api.Test;

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
}
