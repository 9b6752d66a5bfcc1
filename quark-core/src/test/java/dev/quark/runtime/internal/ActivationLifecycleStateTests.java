package dev.quark.runtime.internal;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static dev.quark.runtime.internal.ActivationLifecycle.ACTIVATING;
import static dev.quark.runtime.internal.ActivationLifecycle.ACTIVE;
import static dev.quark.runtime.internal.ActivationLifecycle.CREATING;
import static dev.quark.runtime.internal.ActivationLifecycle.DEACTIVATED;
import static dev.quark.runtime.internal.ActivationLifecycle.DEACTIVATING;
import static dev.quark.runtime.internal.ActivationLifecycle.RESTARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class ActivationLifecycleStateTests {

    @Test
    void eachStateMovesExactlyAlongTheDiagramInTheConceptsGuide() {
        assertThat(movesFrom(CREATING)).containsExactlyInAnyOrder(ACTIVATING, DEACTIVATING);
        assertThat(movesFrom(ACTIVATING)).containsExactlyInAnyOrder(ACTIVE, RESTARTING, DEACTIVATED);
        assertThat(movesFrom(ACTIVE)).containsExactlyInAnyOrder(RESTARTING, DEACTIVATING);
        assertThat(movesFrom(RESTARTING)).containsExactlyInAnyOrder(ACTIVATING, DEACTIVATING);
        assertThat(movesFrom(DEACTIVATING)).containsExactly(DEACTIVATED);
        assertThat(movesFrom(DEACTIVATED)).isEmpty();
    }

    @Test
    void aMoveTheDiagramDoesNotHaveFailsNamingBothStates() {
        assertThatIllegalStateException().isThrownBy(() -> DEACTIVATED.moveTo(ACTIVE))
            .withMessage("An activation cannot move from DEACTIVATED to ACTIVE");
        assertThat(ACTIVE.moveTo(DEACTIVATING)).isEqualTo(DEACTIVATING);
    }

    @Test
    void onlyCreatingActivatingAndActiveActivationsStartTurns() {
        assertThat(EnumSet.allOf(ActivationLifecycle.class).stream().filter(ActivationLifecycle::runsTurns))
            .containsExactlyInAnyOrder(CREATING, ACTIVATING, ACTIVE);
        assertThat(EnumSet.allOf(ActivationLifecycle.class).stream().filter(ActivationLifecycle::isEnding))
            .containsExactlyInAnyOrder(DEACTIVATING, DEACTIVATED);
    }

    private static Set<ActivationLifecycle> movesFrom(ActivationLifecycle state) {
        Set<ActivationLifecycle> moves = EnumSet.noneOf(ActivationLifecycle.class);
        for (ActivationLifecycle next : ActivationLifecycle.values()) {
            if (state.canMoveTo(next)) {
                moves.add(next);
            }
        }
        return moves;
    }
}
