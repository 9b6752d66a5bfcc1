/**
 * The actor programming model: contracts, implementations, references and the context of a turn.
 */
@NullMarked
package dev.quark.actor;

import org.jspecify.annotations.NullMarked;
