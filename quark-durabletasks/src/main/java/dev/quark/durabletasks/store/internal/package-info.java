/**
 * What the durable-task stores of this module share and applications do not use: not part of the store SPI, it may
 * change in any version.
 */
@NullMarked
package dev.quark.durabletasks.store.internal;

import org.jspecify.annotations.NullMarked;
