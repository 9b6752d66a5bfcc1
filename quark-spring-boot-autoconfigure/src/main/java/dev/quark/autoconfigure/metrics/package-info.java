/**
 * Micrometer metrics of the Quark runtime.
 */
@NullMarked
package dev.quark.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
