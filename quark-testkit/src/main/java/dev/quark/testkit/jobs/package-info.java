/**
 * The contract tests every job store runs (needs {@code dev.quark:quark-jobs}).
 */
@NullMarked
package dev.quark.testkit.jobs;

import org.jspecify.annotations.NullMarked;
