/**
 * Following the global feed in the background: the runner that follows every declared subscription, one node at a
 * time per name through a lease, with retries, metrics and a status per subscription.
 */
@NullMarked
package dev.quark.eventsourcing.subscription;

import org.jspecify.annotations.NullMarked;
