/**
 * The contract tests every {@link dev.quark.lease.LeaseStore} implementation runs.
 */
@NullMarked
package dev.quark.testkit.lease;

import org.jspecify.annotations.NullMarked;
