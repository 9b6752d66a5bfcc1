/**
 * Cluster clients: applications that call the actors of a cluster without hosting any. A client reads the
 * membership table ({@link dev.quark.cluster.client.ClientMembership}) and routes its calls with a
 * {@link dev.quark.cluster.routing.SiloRouting} that follows it, exactly as a silo routes, but is never a member.
 */
@NullMarked
package dev.quark.cluster.client;

import org.jspecify.annotations.NullMarked;
