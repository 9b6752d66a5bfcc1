/**
 * The seam where a remote call replaces a local one: what a cluster implements to tell where an actor lives
 * and to carry calls to other silos, and the entry point through which calls from other silos arrive.
 * Every interface has a single-silo default. {@link dev.quark.runtime.routing.DeadlineSweep} keeps the deadlines
 * of the runtime's calls and of the requests a silo sent to others.
 */
@NullMarked
package dev.quark.runtime.routing;

import org.jspecify.annotations.NullMarked;
