/**
 * The PostgreSQL event store, with its gap-free global feed.
 */
@NullMarked
package dev.quark.eventsourcing.jdbc;

import org.jspecify.annotations.NullMarked;
