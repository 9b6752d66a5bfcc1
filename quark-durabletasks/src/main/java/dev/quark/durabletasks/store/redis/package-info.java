/**
 * The Redis durable-task store: hashes, lists and sorted sets changed by Lua scripts, one atomic step each.
 */
@NullMarked
package dev.quark.durabletasks.store.redis;

import org.jspecify.annotations.NullMarked;
