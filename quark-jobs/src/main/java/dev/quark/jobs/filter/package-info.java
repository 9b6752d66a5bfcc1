/**
 * Job filters Quark ships: {@link dev.quark.jobs.filter.MdcJobFilter} carries MDC entries from the enqueuing thread
 * to the worker.
 */
@NullMarked
package dev.quark.jobs.filter;

import org.jspecify.annotations.NullMarked;
