/**
 * What Quark's Redis backends share: the one pub/sub subscription connection per connection factory that the cluster
 * membership's watches, the jobs' and the durable tasks' wake-ups subscribe their channels on, and the check that a
 * script's keys lie in one hash slot of a Redis Cluster.
 */
@NullMarked
package dev.quark.redis;

import org.jspecify.annotations.NullMarked;
