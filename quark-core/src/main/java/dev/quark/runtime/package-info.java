/**
 * The actor runtime of one silo and the extension points it offers to the code that wires it.
 */
@NullMarked
package dev.quark.runtime;

import org.jspecify.annotations.NullMarked;
