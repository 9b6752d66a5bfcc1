/**
 * Persistent actor state: {@link dev.quark.state.ActorState} fields, optimistic concurrency and the state store SPI.
 */
@NullMarked
package dev.quark.state;

import org.jspecify.annotations.NullMarked;
