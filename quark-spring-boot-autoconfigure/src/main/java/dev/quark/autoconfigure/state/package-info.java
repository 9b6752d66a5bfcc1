/**
 * Auto-configuration of persistent actor state: {@code quark.persistence.*} properties, the named state stores
 * and the hook that loads states into activations.
 */
@NullMarked
package dev.quark.autoconfigure.state;

import org.jspecify.annotations.NullMarked;
