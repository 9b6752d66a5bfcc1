/**
 * The in-memory durable-task store: for one process, and for tests.
 */
@NullMarked
package dev.quark.durabletasks.store.memory;

import org.jspecify.annotations.NullMarked;
