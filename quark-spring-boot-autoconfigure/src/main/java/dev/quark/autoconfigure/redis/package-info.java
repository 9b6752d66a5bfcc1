/**
 * What Quark's Redis backends share: {@code quark.redis.*} properties.
 */
@NullMarked
package dev.quark.autoconfigure.redis;

import org.jspecify.annotations.NullMarked;
