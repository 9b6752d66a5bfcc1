/**
 * How persistent states are declared, injected and kept; no compatibility promise.
 */
@NullMarked
package dev.quark.state.internal;

import org.jspecify.annotations.NullMarked;
