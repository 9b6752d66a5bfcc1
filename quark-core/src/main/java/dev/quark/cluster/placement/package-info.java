/**
 * Placement: which silo owns an actor in a view of the cluster
 * ({@link dev.quark.cluster.placement.PlacementDirector}); consistent hashing by default.
 */
@NullMarked
package dev.quark.cluster.placement;

import org.jspecify.annotations.NullMarked;
