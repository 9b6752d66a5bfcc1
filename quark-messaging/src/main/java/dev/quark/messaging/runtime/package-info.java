/**
 * The engine of the outbox and inbox: the default {@code Outbox} and {@code Inbox}, the partitioned dispatcher that
 * delivers messages under leases, retries and retention.
 */
@NullMarked
package dev.quark.messaging.runtime;

import org.jspecify.annotations.NullMarked;
