package dev.quark.cluster.placement;

import java.util.List;

import dev.quark.actor.Actor;
import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.RandomPlacement;
import dev.quark.actor.StatelessWorker;
import dev.quark.runtime.ActorTypeView;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Placement annotations read from actor classes.
 */
class TypePlacementsTests {

    @Test
    void eachAnnotationSelectsItsStrategyAndNoneMeansConsistentHashing() {
        assertThat(TypePlacements.strategyOf(Plain.class)).isEqualTo(PlacementStrategy.CONSISTENT_HASH);
        assertThat(TypePlacements.strategyOf(Roaming.class)).isEqualTo(PlacementStrategy.RANDOM);
        assertThat(TypePlacements.strategyOf(Staying.class)).isEqualTo(PlacementStrategy.LOCAL_PREFERRED);
        assertThat(TypePlacements.strategyOf(Working.class)).isEqualTo(PlacementStrategy.STATELESS_WORKER);
        assertThat(PlacementStrategy.STATELESS_WORKER.usesDirectory()).isFalse();
        assertThat(PlacementStrategy.STATELESS_WORKER.servesLocally()).isTrue();
        assertThat(PlacementStrategy.CONSISTENT_HASH.servesLocally()).isFalse();
    }

    @Test
    void twoPlacementAnnotationsAreRefusedNamingTheClass() {
        assertThatIllegalArgumentException().isThrownBy(() -> TypePlacements.strategyOf(Confused.class))
            .withMessage("Actor class " + Confused.class.getName() + " has more than one placement annotation: "
                    + "@RandomPlacement, @LocalPreferredPlacement; keep one");
    }

    @Test
    void aStatelessWorkerWithAnotherPlacementIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> TypePlacements.strategyOf(AlsoConfused.class))
            .withMessageContaining("@LocalPreferredPlacement, @StatelessWorker; keep one");
    }

    @Test
    void typesNotListedArePlacedByConsistentHashing() {
        TypePlacements placements = TypePlacements.of(java.util.Map.of("Roamer", PlacementStrategy.RANDOM));
        assertThat(placements.usesDirectory("Roamer")).isTrue();
        assertThat(placements.strategyOf("Other")).isEqualTo(PlacementStrategy.CONSISTENT_HASH);
        assertThat(placements.usesDirectory("Other")).isFalse();
    }

    @Test
    void onlyTypesAnnotatedPlacedWithParentPlaceTheirChildrenWithTheParent() {
        TypePlacements placements = TypePlacements.of(List.of(type("Plain", Plain.class), type("Child", Child.class)));
        assertThat(placements.placedWithParent("Child")).isTrue();
        assertThat(placements.strategyOf("Child")).isEqualTo(PlacementStrategy.CONSISTENT_HASH);
        assertThat(placements.placedWithParent("Plain")).isFalse();
        assertThat(placements.placedWithParent("Other")).isFalse();
    }

    @Test
    void placedWithParentBesideAnotherPlacementIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> TypePlacements.strategyOf(RoamingChild.class))
            .withMessageContaining("has @PlacedWithParent beside @RandomPlacement");
    }

    private static ActorTypeView type(String name, Class<?> implementation) {
        return new ActorTypeView() {

            @Override
            public String name() {
                return name;
            }

            @Override
            public Class<?> implementation() {
                return implementation;
            }

            @Override
            public List<Class<? extends Actor>> contracts() {
                return List.of();
            }

            @Override
            public long activationCount() {
                return 0;
            }

            @Override
            public long queuedMessageCount() {
                return 0;
            }
        };
    }

    static class Plain {
    }

    @PlacedWithParent
    static class Child {
    }

    @RandomPlacement
    @PlacedWithParent
    static class RoamingChild {
    }

    @RandomPlacement
    static class Roaming {
    }

    @LocalPreferredPlacement
    static class Staying {
    }

    @RandomPlacement
    @LocalPreferredPlacement
    static class Confused {
    }

    @StatelessWorker
    static class Working {
    }

    @LocalPreferredPlacement
    @StatelessWorker(maxLocalActivations = 2)
    static class AlsoConfused {
    }
}
