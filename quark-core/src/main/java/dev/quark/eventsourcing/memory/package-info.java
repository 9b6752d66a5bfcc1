/**
 * The in-memory event store.
 */
@NullMarked
package dev.quark.eventsourcing.memory;

import org.jspecify.annotations.NullMarked;
