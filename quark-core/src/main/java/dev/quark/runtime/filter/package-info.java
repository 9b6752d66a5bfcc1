/**
 * Call filters: code that runs around every actor call, on the caller's side and inside the actor's turn.
 */
@NullMarked
package dev.quark.runtime.filter;

import org.jspecify.annotations.NullMarked;
