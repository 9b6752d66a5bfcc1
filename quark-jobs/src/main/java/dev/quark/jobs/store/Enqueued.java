package dev.quark.jobs.store;

import dev.quark.jobs.Job;

/**
 * What {@link JobStore#enqueue} did.
 *
 * @param job the job stored, or the one that already had the idempotency key
 * @param created whether the job was stored now
 */
public record Enqueued(Job job, boolean created) {
}
