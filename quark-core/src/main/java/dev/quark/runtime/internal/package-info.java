/**
 * The actor engine: activation catalog, mailboxes and turns, dispatch and references. Internal: no
 * compatibility promise.
 */
@NullMarked
package dev.quark.runtime.internal;

import org.jspecify.annotations.NullMarked;
