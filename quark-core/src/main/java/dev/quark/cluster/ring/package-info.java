/**
 * The consistent-hash ring: which silo owns a key, the same answer on every JVM that sees the same members.
 */
@NullMarked
package dev.quark.cluster.ring;

import org.jspecify.annotations.NullMarked;
