/**
 * The {@link dev.quark.durabletasks.DurableTaskClient} on a store.
 */
@NullMarked
package dev.quark.durabletasks.client;

import org.jspecify.annotations.NullMarked;
