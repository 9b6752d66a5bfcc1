/**
 * The in-JVM transport: silos of one JVM connected through an
 * {@link dev.quark.cluster.transport.injvm.InJvmNetwork}, for tests and the test kit, with links that tests
 * can cut.
 */
@NullMarked
package dev.quark.cluster.transport.injvm;

import org.jspecify.annotations.NullMarked;
