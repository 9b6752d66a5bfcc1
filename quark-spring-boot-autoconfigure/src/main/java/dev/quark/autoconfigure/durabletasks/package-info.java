/**
 * Auto-configuration of durable tasks: the store and lease store of the area's backend, the registry of orchestration
 * and activity beans, the worker and the {@link dev.quark.durabletasks.DurableTaskClient}.
 */
@NullMarked
package dev.quark.autoconfigure.durabletasks;

import org.jspecify.annotations.NullMarked;
