/**
 * The events an orchestration instance's history is made of, in the order they happened; the event at index
 * {@code i} has sequence number {@code i}. Payloads are JSON text.
 */
@NullMarked
package dev.quark.durabletasks.history;

import org.jspecify.annotations.NullMarked;
