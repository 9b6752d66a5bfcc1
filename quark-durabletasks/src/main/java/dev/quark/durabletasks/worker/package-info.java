/**
 * The worker that runs orchestration steps and activity attempts: it polls the store, claims work with leases, and
 * records what the work did.
 */
@NullMarked
package dev.quark.durabletasks.worker;

import org.jspecify.annotations.NullMarked;
