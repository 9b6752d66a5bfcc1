/**
 * Spring Boot wiring of the cluster: membership on the chosen backend, the silo's routing and membership agent,
 * its graceful leave, reminders split by the ring, and its health and metrics. Off unless
 * {@code quark.cluster.enabled=true}.
 */
@NullMarked
package dev.quark.autoconfigure.cluster;

import org.jspecify.annotations.NullMarked;
