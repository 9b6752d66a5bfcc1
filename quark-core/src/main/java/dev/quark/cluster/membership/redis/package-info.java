/**
 * The membership table on Redis: a versioned hash per cluster changed by Lua scripts, a liveness key per silo
 * and a pub/sub channel for change hints.
 */
@NullMarked
package dev.quark.cluster.membership.redis;

import org.jspecify.annotations.NullMarked;
