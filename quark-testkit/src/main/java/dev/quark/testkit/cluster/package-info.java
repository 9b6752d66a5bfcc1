/**
 * Testing clusters: an in-process test cluster ({@link dev.quark.testkit.cluster.TestCluster}, several silos in
 * one JVM over the in-JVM transport, which tests add, stop and kill) and the contract tests every
 * {@link dev.quark.cluster.membership.MembershipProvider} implementation runs.
 */
@NullMarked
package dev.quark.testkit.cluster;

import org.jspecify.annotations.NullMarked;
