/**
 * Jobs in the memory of one JVM: for tests and for applications whose jobs need not outlive the process.
 */
@NullMarked
package dev.quark.jobs.store.memory;

import org.jspecify.annotations.NullMarked;
