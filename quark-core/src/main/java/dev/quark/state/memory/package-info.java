/**
 * The in-memory state store: one JVM, gone when it stops.
 */
@NullMarked
package dev.quark.state.memory;

import org.jspecify.annotations.NullMarked;
