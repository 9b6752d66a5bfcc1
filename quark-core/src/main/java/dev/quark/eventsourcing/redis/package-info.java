/**
 * The Redis Streams event store.
 */
@NullMarked
package dev.quark.eventsourcing.redis;

import org.jspecify.annotations.NullMarked;
