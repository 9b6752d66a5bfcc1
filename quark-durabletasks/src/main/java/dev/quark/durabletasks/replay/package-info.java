/**
 * Checking orchestration code against recorded histories, before deploying a change: the
 * {@link dev.quark.durabletasks.replay.OrchestrationReplayer}.
 */
@NullMarked
package dev.quark.durabletasks.replay;

import org.jspecify.annotations.NullMarked;
