package dev.quark.cluster.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.PlacedWithParent;
import dev.quark.actor.RandomPlacement;
import dev.quark.actor.StatelessWorker;
import dev.quark.runtime.ActorTypeView;

/**
 * The placement strategy of each actor type a silo hosts, read once from the placement annotations of the
 * implementation classes ({@link RandomPlacement}, {@link LocalPreferredPlacement}, {@link StatelessWorker}); a
 * type without one, and
 * a type this silo does not host, is placed by {@link PlacementStrategy#CONSISTENT_HASH consistent hashing};
 * and which hash-placed types place the children a parent spawns with the parent ({@link PlacedWithParent}).
 * Immutable.
 */
public final class TypePlacements {

    /** No type with a placement of its own: consistent hashing for all. */
    public static final TypePlacements CONSISTENT_HASH = new TypePlacements(Map.of(), Set.of());

    private final Map<String, PlacementStrategy> strategies;

    private final Set<String> placedWithParent;

    private TypePlacements(Map<String, PlacementStrategy> strategies, Set<String> placedWithParent) {
        this.strategies = Map.copyOf(strategies);
        this.placedWithParent = Set.copyOf(placedWithParent);
    }

    /**
     * Reads the placement annotations of the hosted actor types.
     * @param types the types a runtime hosts
     * @return their placements
     * @throws IllegalArgumentException naming the class and its annotations when it has more than one
     */
    public static TypePlacements of(Collection<? extends ActorTypeView> types) {
        Objects.requireNonNull(types, "types must not be null");
        Map<String, PlacementStrategy> strategies = new HashMap<>();
        Set<String> withParent = new HashSet<>();
        for (ActorTypeView type : types) {
            PlacementStrategy strategy = strategyOf(type.implementation());
            if (strategy != PlacementStrategy.CONSISTENT_HASH) {
                strategies.put(type.name(), strategy);
            }
            else if (type.implementation().isAnnotationPresent(PlacedWithParent.class)) {
                withParent.add(type.name());
            }
        }
        return new TypePlacements(strategies, withParent);
    }

    /**
     * Builds placements from strategies by actor type name, for tests and for routing built without a
     * runtime.
     * @param strategies the strategy of each type name
     * @return the placements
     */
    public static TypePlacements of(Map<String, PlacementStrategy> strategies) {
        return new TypePlacements(Objects.requireNonNull(strategies, "strategies must not be null"), Set.of());
    }

    /**
     * Reads the placement annotation of an actor implementation class.
     * @param implementation the class
     * @return its strategy, {@link PlacementStrategy#CONSISTENT_HASH} without an annotation
     * @throws IllegalArgumentException naming the class and its annotations when it has more than one, or
     * {@link PlacedWithParent} beside one
     */
    public static PlacementStrategy strategyOf(Class<?> implementation) {
        List<String> found = new ArrayList<>();
        PlacementStrategy strategy = PlacementStrategy.CONSISTENT_HASH;
        if (implementation.isAnnotationPresent(RandomPlacement.class)) {
            found.add("@" + RandomPlacement.class.getSimpleName());
            strategy = PlacementStrategy.RANDOM;
        }
        if (implementation.isAnnotationPresent(LocalPreferredPlacement.class)) {
            found.add("@" + LocalPreferredPlacement.class.getSimpleName());
            strategy = PlacementStrategy.LOCAL_PREFERRED;
        }
        if (implementation.isAnnotationPresent(StatelessWorker.class)) {
            found.add("@" + StatelessWorker.class.getSimpleName());
            strategy = PlacementStrategy.STATELESS_WORKER;
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("Actor class " + implementation.getName()
                    + " has more than one placement annotation: " + String.join(", ", found) + "; keep one");
        }
        if (!found.isEmpty() && implementation.isAnnotationPresent(PlacedWithParent.class)) {
            throw new IllegalArgumentException("Actor class " + implementation.getName() + " has @"
                    + PlacedWithParent.class.getSimpleName() + " beside " + found.get(0) + ": children are placed "
                    + "with their parent only for types placed by consistent hashing; keep one");
        }
        return strategy;
    }

    /**
     * Returns the strategy of an actor type.
     * @param typeName the actor type name
     * @return its strategy; {@link PlacementStrategy#CONSISTENT_HASH} for a type without one or not hosted
     * here
     */
    public PlacementStrategy strategyOf(String typeName) {
        return this.strategies.getOrDefault(typeName, PlacementStrategy.CONSISTENT_HASH);
    }

    /**
     * Returns whether an actor type's activations are recorded in the directory.
     * @param typeName the actor type name
     * @return {@code true} for the types with a directory placement
     */
    public boolean usesDirectory(String typeName) {
        return strategyOf(typeName).usesDirectory();
    }

    /**
     * Returns whether an actor type places the children a parent spawns with the parent
     * ({@link PlacedWithParent}): only such types are checked in the directory by their hash owner.
     * @param typeName the actor type name
     * @return {@code true} for the hash-placed types annotated with it
     */
    public boolean placedWithParent(String typeName) {
        return this.placedWithParent.contains(typeName);
    }

    @Override
    public String toString() {
        return "TypePlacements" + this.strategies + ((this.placedWithParent.isEmpty()) ? ""
                : " placed with their parent: " + this.placedWithParent);
    }
}
