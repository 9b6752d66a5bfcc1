/**
 * Actuator health of the Quark runtime.
 */
@NullMarked
package dev.quark.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
