/**
 * The engine of durable tasks: replay of an orchestration's code against its history, the tasks it awaits, the
 * actions it emits, and the runs of activity attempts. No compatibility promise.
 */
@NullMarked
package dev.quark.durabletasks.internal;

import org.jspecify.annotations.NullMarked;
