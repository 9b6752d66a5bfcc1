/**
 * How inputs, outputs, results and event payloads become the JSON text kept in histories and queues.
 */
@NullMarked
package dev.quark.durabletasks.payload;

import org.jspecify.annotations.NullMarked;
