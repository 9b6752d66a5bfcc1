/**
 * Cluster membership: the table of silos every silo reads and writes with conditional writes against a
 * table version ({@link dev.quark.cluster.membership.MembershipProvider}), and what a silo makes of it
 * ({@link dev.quark.cluster.membership.ClusterView}).
 */
@NullMarked
package dev.quark.cluster.membership;

import org.jspecify.annotations.NullMarked;
