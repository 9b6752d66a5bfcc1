/**
 * Event sourcing: append-only event streams with expected versions, snapshots, upcasters, a global feed with checkpointed subscriptions, and event-sourced actors.
 */
@NullMarked
package dev.quark.eventsourcing;

import org.jspecify.annotations.NullMarked;
