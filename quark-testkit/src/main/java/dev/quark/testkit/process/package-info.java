/**
 * Applications started as separate JVMs for process-level tests: crash a node with {@code SIGKILL} and watch
 * the others take over.
 */
@NullMarked
package dev.quark.testkit.process;

import org.jspecify.annotations.NullMarked;
