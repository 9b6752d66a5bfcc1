/**
 * Calls between silos: {@link dev.quark.cluster.routing.SiloRouting} implements the runtime's routing seam
 * ({@link dev.quark.runtime.routing}) over a transport, a codec and a view of membership: placement, the
 * correlation table of calls waiting for answers, forwarding, ownership hand-off and probes.
 */
@NullMarked
package dev.quark.cluster.routing;

import org.jspecify.annotations.NullMarked;
