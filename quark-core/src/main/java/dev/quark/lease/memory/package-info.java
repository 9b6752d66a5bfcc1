/**
 * The in-memory lease store.
 */
@NullMarked
package dev.quark.lease.memory;

import org.jspecify.annotations.NullMarked;
