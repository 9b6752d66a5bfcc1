/**
 * Durable tasks: orchestrations written as plain Java, replayed from their recorded history so that they survive
 * restarts and move between workers, and the activities that do their side effects. Start with
 * {@link dev.quark.durabletasks.Orchestration}, {@link dev.quark.durabletasks.OrchestrationContext},
 * {@link dev.quark.durabletasks.Activity} and {@link dev.quark.durabletasks.DurableTaskClient}.
 */
@NullMarked
package dev.quark.durabletasks;

import org.jspecify.annotations.NullMarked;
