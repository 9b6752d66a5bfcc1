/**
 * The contract tests every {@link dev.quark.state.StateStore} implementation runs.
 */
@NullMarked
package dev.quark.testkit.state;

import org.jspecify.annotations.NullMarked;
