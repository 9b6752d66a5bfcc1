/**
 * Contract tests every event store and event feed runs.
 */
@NullMarked
package dev.quark.testkit.eventsourcing;

import org.jspecify.annotations.NullMarked;
