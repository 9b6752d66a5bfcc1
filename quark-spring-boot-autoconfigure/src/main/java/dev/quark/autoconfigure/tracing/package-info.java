/**
 * Trace context across calls and silos with Micrometer Tracing.
 */
@NullMarked
package dev.quark.autoconfigure.tracing;

import org.jspecify.annotations.NullMarked;
