/**
 * Redis outbox and inbox stores over Spring Data Redis (Lettuce): every change is one Lua script, and every outbox key
 * carries the hash tag {@code {outbox}} so that a script touches one Redis Cluster slot.
 */
@NullMarked
package dev.quark.messaging.store.redis;

import org.jspecify.annotations.NullMarked;
