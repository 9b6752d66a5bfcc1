/**
 * The contract tests every {@link dev.quark.cluster.membership.MembershipProvider} implementation runs.
 */
@NullMarked
package dev.quark.testkit.cluster;

import org.jspecify.annotations.NullMarked;
