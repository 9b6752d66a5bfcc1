/**
 * The distributed directory: where each activation of an actor placed by the directory (not by consistent
 * hashing) lives. Partitioned by the ring: the entry of an address lives on the silo the address hashes to.
 * {@link dev.quark.cluster.directory.DirectoryPartition} is one silo's share of it.
 */
@NullMarked
package dev.quark.cluster.directory;

import org.jspecify.annotations.NullMarked;
