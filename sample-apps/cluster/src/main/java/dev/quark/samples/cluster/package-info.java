/**
 * The bank's accounts on a cluster of silos: one process is one silo, silos talk over gRPC.
 */
@NullMarked
package dev.quark.samples.cluster;

import org.jspecify.annotations.NullMarked;
