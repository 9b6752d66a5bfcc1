/**
 * Supervision of child actors: what a parent decides when a child fails, and how often it may restart.
 */
@NullMarked
package dev.quark.supervision;

import org.jspecify.annotations.NullMarked;
