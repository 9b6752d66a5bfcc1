/**
 * Auto-configuration of event sourcing: the event store on its backend and the hook that rebuilds event-sourced
 * actors.
 */
@NullMarked
package dev.quark.autoconfigure.eventsourcing;

import org.jspecify.annotations.NullMarked;
