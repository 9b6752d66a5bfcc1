/**
 * How the exceptions of this module cross silos: their entries in the payload codec's exception table.
 */
@NullMarked
package dev.quark.messaging.cluster;

import org.jspecify.annotations.NullMarked;
