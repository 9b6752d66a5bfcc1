/**
 * The in-memory membership table, shared by the silos of one JVM (tests, the test kit's test cluster).
 */
@NullMarked
package dev.quark.cluster.membership.memory;

import org.jspecify.annotations.NullMarked;
