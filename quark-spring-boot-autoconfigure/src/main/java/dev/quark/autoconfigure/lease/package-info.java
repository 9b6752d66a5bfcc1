/**
 * Auto-configuration of the lease store every area that claims work with leases shares (jobs, durable tasks), on the
 * backend {@code quark.leases.backend} selects.
 */
@NullMarked
package dev.quark.autoconfigure.lease;

import org.jspecify.annotations.NullMarked;
