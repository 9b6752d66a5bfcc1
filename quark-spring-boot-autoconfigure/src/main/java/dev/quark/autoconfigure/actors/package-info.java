/**
 * Auto-configuration of the actor runtime: {@code quark.actors.*} properties, discovery of
 * {@link dev.quark.actor.QuarkActor} classes and their creation as prototype beans.
 */
@NullMarked
package dev.quark.autoconfigure.actors;

import org.jspecify.annotations.NullMarked;
