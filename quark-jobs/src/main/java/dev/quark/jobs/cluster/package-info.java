/**
 * How the exceptions of this module cross silos: their entries in the payload codec's exception table.
 */
@NullMarked
package dev.quark.jobs.cluster;

import org.jspecify.annotations.NullMarked;
