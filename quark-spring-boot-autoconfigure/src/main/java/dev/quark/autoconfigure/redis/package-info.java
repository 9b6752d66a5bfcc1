/**
 * What Quark's Redis backends share: {@code quark.redis.*} properties and the node's shared subscription connections.
 */
@NullMarked
package dev.quark.autoconfigure.redis;

import org.jspecify.annotations.NullMarked;
