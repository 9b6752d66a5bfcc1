/**
 * The Redis reminder table: a sorted set of fire times per bucket.
 */
@NullMarked
package dev.quark.reminder.redis;

import org.jspecify.annotations.NullMarked;
