/**
 * Jobs in Redis: a hash per job, sorted sets by due time per type, claimed with leases from the shared lease store
 * and stamped by Lua scripts.
 */
@NullMarked
package dev.quark.jobs.store.redis;

import org.jspecify.annotations.NullMarked;
