/**
 * Auto-configuration of durable jobs: {@code quark.jobs.*}, the job store and lease store of the selected backend,
 * the {@link dev.quark.jobs.JobQueue} bean, the handlers and the orchestrator started with the context.
 */
@NullMarked
package dev.quark.autoconfigure.jobs;

import org.jspecify.annotations.NullMarked;
