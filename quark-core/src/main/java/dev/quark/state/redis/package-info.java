/**
 * The Redis state store, on Spring Data Redis.
 */
@NullMarked
package dev.quark.state.redis;

import org.jspecify.annotations.NullMarked;
