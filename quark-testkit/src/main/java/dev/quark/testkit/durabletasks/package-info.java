/**
 * The contract tests every durable-task store runs: {@link dev.quark.testkit.durabletasks.DurableTaskStoreContractTests}
 * for the store itself and {@link dev.quark.testkit.durabletasks.OrchestrationContractTests} for orchestrations run by
 * workers on it.
 */
@NullMarked
package dev.quark.testkit.durabletasks;

import org.jspecify.annotations.NullMarked;
