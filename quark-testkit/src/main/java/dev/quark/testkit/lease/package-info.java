/**
 * The contract tests every {@link dev.quark.lease.LeaseStore} implementation runs, and a delegating base for a test's
 * lease store that breaks one call.
 */
@NullMarked
package dev.quark.testkit.lease;

import org.jspecify.annotations.NullMarked;
