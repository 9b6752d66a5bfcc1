/**
 * An in-process test cluster: several silos in one JVM over the in-JVM transport and an in-memory (or real)
 * membership table, which tests add, stop and kill.
 */
@NullMarked
package dev.quark.testkit.cluster;

import org.jspecify.annotations.NullMarked;
