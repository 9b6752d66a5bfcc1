/**
 * Silos in a cluster: membership ({@code membership}), the hash ring ({@code ring}), placement, the directory
 * and the transport between silos. The cluster implements the runtime's routing seam
 * ({@link dev.quark.runtime.routing}); the runtime never imports it. See {@code docs/clustering.md}.
 */
@NullMarked
package dev.quark.cluster;

import org.jspecify.annotations.NullMarked;
