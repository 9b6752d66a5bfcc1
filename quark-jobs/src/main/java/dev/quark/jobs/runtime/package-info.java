/**
 * What runs jobs: the {@link dev.quark.jobs.runtime.DefaultJobQueue} over a store, the registry of handlers, the
 * payload codec on the application's Jackson mapper, and the {@link dev.quark.jobs.runtime.JobOrchestrator} that
 * claims jobs and runs them on a pool of virtual threads.
 */
@NullMarked
package dev.quark.jobs.runtime;

import org.jspecify.annotations.NullMarked;
