/**
 * Durable jobs: the {@link dev.quark.jobs.JobQueue} applications enqueue work on, the
 * {@link dev.quark.jobs.JobHandler}s that do it, the {@link dev.quark.jobs.JobContext} a handler reports through,
 * the {@link dev.quark.jobs.RetryPolicy} and the {@link dev.quark.jobs.JobStatus} state machine.
 */
@NullMarked
package dev.quark.jobs;

import org.jspecify.annotations.NullMarked;
