/**
 * Auto-configuration of the lease stores that the areas claiming work with leases share, each area's leases on its
 * own backend unless {@code quark.leases.backend} says otherwise.
 */
@NullMarked
package dev.quark.autoconfigure.lease;

import org.jspecify.annotations.NullMarked;
