/**
 * The Redis lease store and the Lua that fences an area's own writes, on Spring Data Redis.
 */
@NullMarked
package dev.quark.lease.redis;

import org.jspecify.annotations.NullMarked;
